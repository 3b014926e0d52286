# 感谢信 — the thank-you letter to a sponsor (乡贤): what the money received did.
# Amounts in yuan with fen. {period} is e.g. "2026 年" or empty for every year.
# Fields: {village} {sponsor} {period} {received} {spent} {committed} {remaining} {households} {issued}
# Row fields: {item} {qty} {cost}
text size=2 align=center bold {village}
text size=3 align=center bold 感谢信
spacer 24
text bold 尊敬的{sponsor}：
text 感谢您{period}对本村积分兑换的支持。
text 您的赞助款使用情况如下：
divider
text 收到赞助 {received} 元
text 已兑付商家 {spent} 元
text 已兑换待结算 {committed} 元
text bold 结余 {remaining} 元
divider
text bold 兑换的物品
rows {item} ×{qty}  {cost} 元
text 共惠及 {households} 户村民。
divider
text align=right {village}村民委员会
text align=right {issued}
spacer 48
