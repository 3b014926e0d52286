# 户卡 — the household QR card: whoever shows it opens the household's account at the
# kiosk, so keep it like a bank card. A new card (reissue) stops the old one at once.
# Fields: {village} {household} {head} {issued} {qr}
text size=2 align=center bold {village}
text size=2 align=center bold 家庭积分卡
text align=center 户主：{head}
divider
qr {qr}
divider
text 在村委会一体机扫这张卡，
text 就能查积分、换东西。
text 请像银行卡一样收好；
text 丢了请到村委会换新卡，旧卡立即作废。
text align=center 发卡 {issued}
spacer 48
