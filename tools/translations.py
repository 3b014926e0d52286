#!/usr/bin/env python3
"""Writes translations/en/LC_MESSAGES/jifen.po from the @tr strings in ui/*.slint.

The Chinese text in the .slint files is the source (zh_CN is the default language);
English is kept here. A string missing from ENGLISH fails the run, so the English screens
never show an untranslated line. Run from the repository root: python3 tools/translations.py
"""
import glob
import re
import sys

ENGLISH = {
    "{} 户": "Household {}",
    "积分余额": "Points balance",
    "{} 分": "{} pts",
    "积分余额 {} 分": "Balance {} points",
    "本月 {} 分，本季 {} 分": "This month {}, this quarter {}",
    "全村第 {} 名（共 {} 户）": "Rank {} of {} in the village",
    "{}第 {} 名": "Rank {1} in {0}",
    "积分明细": "Points history",
    "加 {}": "plus {}",
    "减 {}": "minus {}",
    "返回": "Back",
    "兑换物品": "Choose an item",
    "暂不能兑换": "Cannot redeem now",
    "可兑换的物品": "Items",
    "您有 {} 分，请选择要兑换的物品": "You have {} points. Choose an item.",
    "返回菜单": "Menu",
    "工作人员登录": "Staff sign-in",
    "请输入工作人员密码": "Enter the staff PIN",
    "（未输入）": "(nothing entered)",
    "已输入 {} 位": "{} digits entered",
    "清除": "Clear",
    "确定": "OK",
    "工作人员：{}": "Staff: {}",
    "商品补货、上下架": "Restock and switch items",
    "补打兑换券": "Reprint vouchers",
    "核销兑换券": "Settle vouchers",
    "打印积分证明": "Print a points statement",
    "今日兑换": "Today's redemptions",
    "打印测试页": "Print a test page",
    "锁定并退出": "Lock and leave",
    "{}（{} 分）": "{} ({} pts)",
    "上一页": "Previous",
    "下一页（{}/{}）": "Next ({}/{})",
    "不限量": "unlimited",
    "不限量，已下架": "unlimited, switched off",
    "库存 {}": "{} left",
    "库存 {}，已下架": "{} left, switched off",
    "补 10": "Add 10",
    "补 50": "Add 50",
    "下架": "Switch off",
    "上架": "Switch on",
    "重印": "Reprint",
    "没有待补打的兑换券。": "No voucher is waiting to be reprinted.",
    "这些兑换券没有确认打印，重印时券号不变：": "These vouchers were never confirmed printed; a reprint keeps the serial:",
    "请把兑换券的二维码对准扫码口，一张一张扫。": "Hold each voucher's QR code to the scanner, one at a time.",
    "已核销 {} 张，合计 {} 分": "{} settled, {} points in all",
    "打印结算单": "Print the settlement slip",
    "请村民刷身份证或扫描户码卡，打印该户的积分证明": "Ask the villager to swipe the ID card or scan the household card to print the statement",
    "今天共兑换 {} 次": "{} redemptions today",
    "请确认": "Please confirm",
    "用 {} 分兑换 {} 1 份？": "Use {} points for one {}?",
    "兑换后余额 {} 分": "Balance afterwards: {} points",
    "{} 秒后自动取消": "Cancels by itself in {} seconds",
    "取消": "Cancel",
    "确认兑换": "Yes, redeem",
    "正在打印": "Printing",
    "正在打印兑换券，请稍候……": "Printing your voucher, please wait…",
    "兑换成功": "Done",
    "请取走您的兑换券": "Please take your voucher",
    "{} 1 份，到 {} 使用": "One {}, to use at {}",
    "村委会": "the village committee",
    "券号 {}": "Serial {}",
    "剩余积分 {} 分": "Points left: {}",
    "返回首页": "Home",
    "把身份证平放在读卡器上，或把户码卡对准扫码口": "Lay the ID card flat on the reader, or hold the household card to the scanner",
    "读卡器": "Card reader",
    "身份证 ↓": "ID card ↓",
    "第 {} 名": "No. {}",
    "积分兑换": "Points shop",
    "请刷身份证或扫描二维码": "Swipe your ID card or scan your QR card",
    "怎样得积分": "How to earn points",
    "{} 光荣榜": "Honour roll {}",
    "全村前五名（按本季度所得积分）": "Top five in the village (points earned this quarter)",
    "各网格第一名": "First in each grid",
    "工作人员": "Staff",
    "没有找到您的户口信息": "We could not find your household",
    "兑换券没有打印出来": "The voucher did not print",
    "读卡器没有连接好": "The card reader is not connected",
    "密码错误次数太多": "Too many wrong PINs",
    "没有办成": "That did not work",
    "请到窗口登记。": "Please register at the counter.",
    "积分已经扣好，券号 {} 已保留，工作人员会为您补打。": "Your points are spent and serial {} is kept; staff will print it for you.",
    "请联系工作人员。您也可以扫描户码卡。": "Please call the staff. You can also scan your household card.",
    "请稍后再试。": "Please try again later.",
    "请注意": "Please note",
    "{} 秒后回到首页": "Home in {} seconds",
    "上翻": "Up",
    "下翻": "Down",
    "已兑完": "Sold out",
    "积分不足": "Not enough points",
    "{}，{} 分": "{}, {} points",
    "{}，{} 分，{}": "{}, {} points, {}",
    "{}\u3000{}": "{}  {}",
    "您好！": "Hello!",
    "{}，您好！": "Hello, {}!",
    "积分为 {} 分，积分转正后就可以兑换。": "Your balance is {} points. You can redeem again once it is above zero.",
    "积分为 {} 分，是因为 {} {}（{} 分）。积分转正后就可以兑换。": "Your balance is {0} points because of {2} in {1} ({3} points). You can redeem again once it is above zero.",
    "所有记录都已同步。": "Everything is synced.",
    "有 {} 条记录等待同步到乡镇。": "{} records wait to be synced to the township.",
}


def po_escape(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


def main():
    found = []
    for f in sorted(glob.glob("ui/*.slint")):
        for m in re.finditer(r'@tr\("((?:[^"\\]|\\.)*)"', open(f, encoding="utf-8").read()):
            if m.group(1) not in found:
                found.append(m.group(1))
    missing = [s for s in found if s not in ENGLISH]
    if missing:
        sys.exit("no English for: " + ", ".join(missing))
    out = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"', '"Language: en\\n"', ""]
    for s in found:
        out += [f'msgid "{po_escape(s)}"', f'msgstr "{po_escape(ENGLISH[s])}"', ""]
    open("translations/en/LC_MESSAGES/jifen.po", "w", encoding="utf-8").write("\n".join(out))
    print(f"{len(found)} strings")


main()
