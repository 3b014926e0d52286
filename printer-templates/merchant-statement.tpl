# 商家对账单 — what the village owes a merchant for a month's settled vouchers, by the
# sponsor fund that pays for them. Amounts in yuan with fen.
# Fields: {village} {merchant} {month} {count} {total} {unfunded} {issued}
# Row fields: {fund} {count} {amount}
# {unfunded} is how many vouchers of the month no fund pays for (their line is left out
# when there are none).
text size=2 align=center bold {village}
text size=2 align=center bold 商家对账单
text 商家：{merchant}
text 月份：{month}
divider
rows {fund}  {count} 张  {amount} 元
divider
text bold 共 {count} 张
text size=2 bold 应付 {total} 元
text 另有 {unfunded} 张无赞助款，不计金额
text 打印日期：{issued}
spacer 48
