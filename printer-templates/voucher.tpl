# 兑换券 — the redemption voucher.
# Fields: {village} {household} {item} {qty} {points} {serial} {issued} {expires} {merchant} {sponsor} {proxy} {qr} {code}
# {proxy} is the clerk who redeemed for a household that could not come, and who takes it there
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
