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
    "已确认 {} 户的 {} 送到（券号 {}）": "Confirmed: {1} delivered to {0} (serial {2})",
    "{}　{} ×{}　送 {} 户": "{}　{} ×{}　to {}",
    "已送到": "Delivered",
    "没有待送到户的代兑换。": "Nothing waiting to be delivered.",
    "待送到户（送到后点“已送到”）：": "To deliver (tap Delivered once it is there):",
    "代兑换": "Redeem for",
    "代兑换（送上门）": "Redeem to deliver",
    "请刷该户的身份证或扫描该户的户码卡（不能只凭户号）": "Read that household's ID card or QR card (its code alone is not enough)",
    "{}（{} 分）已兑完": "{} ({} pts) all gone",
    "{}（{} 分）赞助款已用完": "{} ({} pts) sponsor's fund used up",
    "{}（{} 分）积分不足": "{} ({} pts) not enough points",
    "代兑换一份": "Redeem one",
    "谁送去：": "Delivered by:",
    "我（{}）": "Me ({})",
    "请选谁送到户": "Choose who takes it to the household",
    "正在代兑换……": "Redeeming for the household…",
    "为 {}（{}）代兑换，积分 {} 分": "For {} ({}): {} points",
    "兑换券已打印，请送到户": "The voucher is printed: please take it to the household",
    "兑换券没有打印出来，已保留，可在补打兑换券里打印": "The voucher did not print; it is kept, print it under Reprint vouchers",
    "已为 {} 代兑换 {}，券号 {}。{}": "Redeemed {1} for {0}, serial {2}. {3}",
    "请先刷该户的身份证或户码卡": "Read the household's ID card or QR card first",
    "乡贤榜：{}": "Sponsors: {}",
    "{} 等 {} 位": "{} and others, {} in all",
    "赞助款已用完": "Sponsor's fund used up",
    "这个物品的赞助款已用完，暂时不能兑换": "The sponsor's fund for this item is used up; it cannot be redeemed for now",
    "{} 年度星级文明户": "{} star households",
    "请把身份证放在读卡器上，或扫描户卡二维码。": "Please put your ID card on the reader, or scan your household card.",
    "记录人：{}": "Recorded by {}",
    "督导单照片 {}": "Supervision sheet photo {}",
    "对这条积分有疑问吗？村里会核实，七天内答复。": "Do you question this entry? The village will check and answer within seven days.",
    "是，我有疑问": "Yes, I question it",
    "不用了": "No, thanks",
    "我有疑问": "I question this",
    "您对「{}」的疑问，{}": "About “{}”: {}",
    "村里已核实，维持原记录：{}": "The village checked and kept the entry: {}",
    "村里已核实并更正：{}": "The village checked and corrected it: {}",
    "正在取照片……": "Getting the photos…",
    "照片在乡镇，联网后可以看": "The photos are at the township; they can be seen once the kiosk is online",
    "已记录，村里会在七天内答复。": "Recorded. The village will answer within seven days.",
    "{} 户": "Household {}",
    "积分余额": "Points balance",
    "{} 分": "{} pts",
    "积分余额 {} 分": "Balance {} points",
    "本月 {} 分，本季 {} 分": "Month {}, quarter {}",
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
    "第 {} 名": "No. {}",
    "积分兑换": "Points shop",
    "请刷身份证或扫描二维码": "Swipe your ID card or scan your QR card",
    "怎样得积分": "How to earn points",
    "{} 光荣榜": "Honours {}",
    "全村前五名（按本季度所得积分）": "Top five (points this quarter)",
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
    "请刷身份证或扫户码卡": "Swipe your ID card or scan your QR card",
    "{}　{}": "{}  {}",
    "兑换券出来了吗？": "Did the voucher come out?",
    "券号 {} 已保留，工作人员会为您补打": "Voucher {} is kept; staff will print it for you",
    "出来了": "Yes, it did",
    "没出来": "No, it didn't",
    "兑换券稍后补打": "Voucher kept",
    "再听一遍": "Hear again",
    "关掉声音": "Sound off",
    "打开声音": "Sound on",
    "小声点": "Softer",
    "大声点": "Louder",
    "还要继续吗？": "Still there?",
    "继续": "Continue",
    "屏幕": "Screen",
    "请工作人员帮忙": "Call staff",
    "已叫工作人员，请稍等": "Staff are coming",
    "再换一样": "Another item",
    "加 {} 分": "plus {} points",
    "减 {} 分": "minus {} points",
    "{}的积分，{}记录": "Points of {}, recorded {}",
    "加 {}，{}，{}": "plus {}, {}, {}",
    "减 {}，{}，{}": "minus {}, {}, {}",
    "重新打印": "Print again",
    "兑换券从出纸口出来 ↓": "The voucher comes out of the slot ↓",
    "读卡器和扫码口在屏幕下方：把身份证平放在读卡器上，或把户码卡对准扫码口": "The card reader and the QR scanner are below the screen: lay your ID card flat on the reader, or hold your household QR card to the scanner",
    "读卡器和扫码口在屏幕下方 ↓": "Reader and scanner below ↓",
    "身份证放这里": "ID card here",
    "户码卡对准这里": "QR card here",
    "正在核对……": "Checking…",
    "已核销 {}：{} ×{}，{} 分": "Settled {}: {} ×{}, {} points",
    "正在打印积分证明……": "Printing the points statement…",
    "没有补打出来：{}。请找工作人员帮忙": "It was not printed again: {}. Please ask the staff for help",
    "已补打，请看一下出纸口；没出来请找工作人员": "Printed again. Please look at the paper slot; if nothing came out, ask the staff",
    "补打好了，请取走您的兑换券": "Printed again. Please take your voucher",
    "这是一张兑换券，请交给商家或工作人员核销。": "This is a voucher. Please hand it to the shop or the staff to settle.",
    "您上次的兑换券还没打印，现在补打": "Your last voucher was not printed yet; it is being printed now",
    "请找工作人员帮忙补打": "Please ask the staff to print it again",
    "打印机没有响应。如果积分已经扣了，券号已保留，工作人员会为您补打。请找工作人员帮忙。": "The printer does not answer. If your points were taken, the serial is kept and the staff will print it for you. Please ask the staff for help.",
    "{}　{} ×{}　{} 户　{}": "{}  {} ×{}  household {}  {}",
    "首页": "the home screen",
    "积分页": "the points screen",
    "积分明细页": "an entry's detail",
    "选物品页": "the item choice",
    "确认兑换页": "the confirmation",
    "打印页": "the printing screen",
    "兑换完成页": "the done screen",
    "出问题的页面": "a problem screen",
    "工作人员页面": "a staff screen",
    "{}　{} ×{}　{} 分": "{}  {} ×{}  {} points",
    "还是没有打印出来：{}。请找工作人员帮忙": "Still not printed: {}. Please ask the staff for help",
    "打印机好了，请点重新打印。": "The printer is ready. Please press Print again.",
    "正在重新打印……": "Printing again…",
    "缺纸，请联系管理员": "Out of paper, please call the administrator",
    "上次同步成功：{}": "Last synced with the township: {}",
    "还没有与乡镇同步过": "Not yet synced with the township",
    "。最近一次：{}": ". Last try: {}",
    "。{} 发现乡镇服务器从备份恢复过，本机已补传、补收": ". On {} the township server was found restored from a backup; this kiosk has sent and fetched again what it lost",
    "。有 {} 条乡镇来的记录暂时无法采用": ". {} records from the township cannot be applied yet",
    "（如：{}）": " (for instance: {})",
    "，每次同步都会再试": "; every sync tries again",
    "兑换券 {} 已经核销过了，不能再用": "Voucher {} was already settled and cannot be used again",
    "兑换券 {} 已作废": "Voucher {} was voided",
    "兑换券 {} 已于 {} 过期": "Voucher {} expired on {}",
    "这张兑换券不是本村一体机开出的，不能核销": "This voucher was not issued by a kiosk of this village and cannot be settled",
    "没有开出过券号 {} 的兑换券": "No voucher with serial {} was issued",
    "券号不对，请再扫一次": "The serial is wrong; please scan again",
    "这张兑换券要到别的商家使用": "This voucher is for another shop",
    "积分不足：有 {} 分，需要 {} 分": "Not enough points: {} here, {} needed",
    "这个物品已经兑完了": "This item is all gone",
    "这个物品已下架": "This item is not offered now",
    "积分为 {} 分，转正后才能兑换": "The balance is {} points; redeeming resumes once it is above zero",
    "请联系工作人员：存储空间已满": "Please call the staff: the storage is full",
    "请联系工作人员：本机时间不对，暂停兑换": "Please call the staff: this kiosk's clock is wrong, redeeming is paused",
    "没有办成：{}": "Not done: {}",
    "{} 在{}": "{} on {}",
    "、": ", ",
    "村民叫过工作人员帮忙：{}": "A villager called for help: {}",
    "{} 已补 {}，现有 {}": "{}: {} added, {}",
    "{} 已上架": "{} is on offer",
    "{} 已下架": "{} is switched off",
    "已重印兑换券 {}，券号不变": "Voucher {} printed again with the same serial",
    "结算单已打印": "The settlement slip is printed",
    "测试页已打印": "The test page is printed",
    "{} 户的积分证明已打印": "The points statement of household {} is printed",
    "工作人员模式已锁上，请重新输入密码": "Staff mode locked itself; enter the PIN again",
    "请先刷卡": "Please swipe your card first",
    "密码不对，请再试一次": "Wrong PIN, please try again",
    "密码连续输错，{} 分钟后再试": "Too many wrong PINs; try again in {} minutes",
    "兑换券 {} 没有打印出来：{}": "Voucher {} was not printed: {}",
    "结算单没有打印出来：{}（核销已记录）": "The settlement slip was not printed: {} (the settlement is recorded)",
    "测试页没有打印出来：{}": "The test page was not printed: {}",
    "没有找到这张卡对应的户": "No household has this card",
    "积分证明没有打印出来：{}": "The points statement was not printed: {}",
    "打印机盖没有关好，请联系管理员": "The printer cover is open, please call the administrator",
    "打印机出错，请联系管理员": "The printer has an error, please call the administrator",
    "打印机离线，请联系管理员": "The printer is offline, please call the administrator",
    "打印机无法报告状态（缺纸也看不出来），每张兑换券打印后都会请村民确认是否出纸": "The printer cannot report its state (not even when paper runs out); after each voucher the villager is asked whether it came out",
    "打印机应答异常，请联系管理员": "The printer answers strangely, please call the administrator",
    "打印机太慢没有打完，请联系管理员": "The printer was too slow to finish, please call the administrator",
    "打印机没有响应，请联系管理员": "The printer does not answer, please call the administrator",
    "打印预览无法保存，请联系管理员": "The print preview cannot be saved, please call the administrator",
    "兑换券版式有误，请联系管理员": "The voucher template is wrong, please call the administrator",
    "语音：开，音量 {}": "Voice: on, volume {}",
    "语音：关": "Voice: off",
    "语音：不出声（{}）。机器照常工作。": "Voice: silent ({}). The kiosk works as usual.",
    "{}。{}": "{}. {}",
}


def po_escape(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


# What the Rust side of the screens writes: tr("…"), trf("…", …), Said::new("…", …),
# later("…"), and the fixed words kept in `const NAME_WORDS: &str = "…"` / `…_NOTICE`.
RUST_MARKS = [
    r'\btrf?\(\s*"((?:[^"\\]|\\.)*)"',
    r'\bSaid::(?:new|words)\(\s*"((?:[^"\\]|\\.)*)"',
    r'\blater\(\s*"((?:[^"\\]|\\.)*)"',
    r'const [A-Z_]+(?:WORDS|NOTICE): &str =\s*"((?:[^"\\]|\\.)*)"',
]
# A printer's own words, shown inside clerk-mode replies and on the villager's screens.
PRINTER_WORDS = ["src/print/status.rs", "src/print/device.rs"]


def cjk(s):
    return re.search(r"[\u3000-\u303f\u4e00-\u9fff]", s) is not None


def main():
    found = []

    def add(s):
        if s not in found:
            found.append(s)

    for f in sorted(glob.glob("ui/*.slint")):
        for m in re.finditer(r'@tr\("((?:[^"\\]|\\.)*)"', open(f, encoding="utf-8").read()):
            add(m.group(1))
    for f in sorted(glob.glob("src/ui/**/*.rs", recursive=True)):
        text = open(f, encoding="utf-8").read().split("#[cfg(test)]")[0]
        for pattern in RUST_MARKS:
            for m in re.finditer(pattern, text):
                if cjk(m.group(1)):
                    add(m.group(1))
    for f in PRINTER_WORDS:
        text = open(f, encoding="utf-8").read().split("#[cfg(test)]")[0]
        for m in re.finditer(r'"((?:[^"\\]|\\.)*)"', text):
            if cjk(m.group(1)):
                add(m.group(1))
    missing = [s for s in found if s not in ENGLISH]
    if missing:
        sys.exit("no English for: " + ", ".join(missing))
    out = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"', '"Language: en\\n"', ""]
    for s in found:
        out += [f'msgid "{po_escape(s)}"', f'msgstr "{po_escape(ENGLISH[s])}"', ""]
    open("translations/en/LC_MESSAGES/jifen.po", "w", encoding="utf-8").write("\n".join(out))
    print(f"{len(found)} strings")


main()
