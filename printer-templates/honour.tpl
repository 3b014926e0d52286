# 荣誉证书 — the year's certificate for a star household (星级文明户, 一年一评比), printed
# for a household the [honours] rule names. Places are shared by ties.
# Fields: {village} {household} {head} {year} {place} {stars} {earned} {issued}
text size=2 align=center bold {village}
text size=3 align=center bold 荣誉证书
spacer 24
text size=2 align=center bold {year} 年度
text size=2 align=center bold 星级文明户
divider
text 户号：{household}   户主：{head}
text 全年所得积分 {earned} 分，
text 在全村 {stars} 户星级文明户中列第 {place} 名。
text 特发此证，以资鼓励。
divider
text align=right {village}村民委员会
text align=right {issued}
spacer 48
