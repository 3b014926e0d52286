# 结算单 — the merchant's settlement slip.
# Fields: {village} {merchant} {date} {clerk} {count} {total_points} {total_amount}
# Row fields: {serial} {item} {qty} {points} {amount}
# {amount} is what the village owes for the voucher ("8.00 元"), empty for an item no
# sponsor's fund pays for; {total_amount} is their sum in yuan, and its line is left out
# when no voucher on the slip has an amount.
text size=2 align=center bold {village}
text size=2 align=center bold 兑换券结算单
text 商家：{merchant}
text 日期：{date}
divider
rows {serial}  {item} ×{qty}  {points} 分  {amount}
divider
text size=2 bold 共 {count} 张，合计 {total_points} 分
text size=2 bold 应付 {total_amount} 元
text 经办：{clerk}
spacer 48
