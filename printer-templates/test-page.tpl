# 打印测试页 — the printer test page.
# Fields: {village} {printer} {width} {issued} {qr}
text size=3 align=center bold 打印测试
text size=2 align=center {village}
divider
text size=1 小字 24 点：村民姓名 张三丰 欧阳小明
text size=2 中字 48 点：积分余额
text size=3 大字 72 点
text align=left 左对齐
text align=center 居中
text align=right 右对齐
divider
qr {qr}
text 打印机：{printer}
text 纸宽：{width} 点
text 时间：{issued}
spacer 48
