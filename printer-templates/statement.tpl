# 积分证明 — a household's points statement (for 三治信农贷), verifiable by its QR code.
# Fields: {village} {household} {head} {balance} {rank} {households} {quarter} {issued} {qr}
# Row fields: {month} {area} {points}
text size=2 align=center bold {village}
text size=2 align=center bold 家庭积分证明
text 户号：{household}   户主：{head}
text size=2 bold 积分余额 {balance} 分
text {quarter} 全村排名第 {rank} 名（共 {households} 户）
divider
text bold 近 12 个月各项得分
rows {month}  {area}  {points}
divider
qr {qr}
text align=center 开具 {issued}
spacer 48
