# 结算单 — the merchant's settlement slip.
# Fields: {village} {merchant} {date} {clerk} {count} {total_points}
# Row fields: {serial} {item} {qty} {points}
text size=2 align=center bold {village}
text size=2 align=center bold 兑换券结算单
text 商家：{merchant}
text 日期：{date}
divider
rows {serial}  {item} ×{qty}  {points} 分
divider
text size=2 bold 共 {count} 张，合计 {total_points} 分
text 经办：{clerk}
spacer 48
