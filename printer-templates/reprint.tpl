# 重印 — a voucher printed again under the same serial (the earlier paper may not exist).
# Fields: those of voucher.tpl, and {reprint_count}
text size=3 align=center bold 重印 REPRINT
text align=center 第 {reprint_count} 次重印，券号不变
text size=2 align=center bold {village}
text size=2 align=center bold 积分兑换券
divider
text size=2 bold {item} ×{qty}
text size=2 bold 用去积分 {points} 分
text 户号：{household}
text 使用地点：{merchant}
text 有效期至：{expires}
text 赞助：{sponsor}
text bold 代领：{proxy}
divider
qr {qr}
text align=center bold 券号 {serial}
text align=center 核验码 {code}
text align=center 签发 {issued}
spacer 48
