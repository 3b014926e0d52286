//! Numbers in Mandarin words, by the rules a villager hears them said (DESIGN.md §10):
//! 105 → 一百零五, 1005 → 一千零五, 12000 → 一万两千, 2 分 → 两分. Written here rather than
//! left to the synthesiser, so a recorded voice pack and espeak-ng say the same words, and
//! so the words can be tested.

const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// A number as it is read out: 一百零五, 负五, 一万两千.
pub fn number_words(n: i64) -> String {
    if n < 0 {
        return format!("负{}", whole(n.unsigned_abs(), true));
    }
    whole(n.unsigned_abs(), true)
}

/// A number counting something (分, 份, 样): 2 becomes 两 (两分, 两份); every other number
/// reads as [`number_words`].
pub fn count_words(n: i64) -> String {
    if n == 2 {
        "两".to_string()
    } else {
        number_words(n)
    }
}

/// The word of one digit character, for spelling a serial or a year (2026 → 二零二六).
pub fn digit_word(c: char) -> Option<&'static str> {
    c.to_digit(10).map(|d| DIGITS[d as usize])
}

/// `leading`: nothing is said before this number (so 10 is 十, not 一十).
fn whole(n: u64, leading: bool) -> String {
    const WAN: u64 = 10_000;
    const YI: u64 = 100_000_000;
    let (unit, size, word) = if n >= YI {
        (YI, 10_000_000, "亿")
    } else if n >= WAN {
        (WAN, 1_000, "万")
    } else {
        return group(n as u16, leading);
    };
    let (high, low) = (n / unit, n % unit);
    // 两万, 两亿; but 十二万, not 十两万.
    let mut out = if high == 2 {
        "两".to_string()
    } else {
        whole(high, leading)
    };
    out.push_str(word);
    if low > 0 {
        // A zero between the two halves is said once: 一万零五, 十万零一十, 一百万零五千.
        if high % 10 == 0 || low < size {
            out.push('零');
        }
        out.push_str(&whole(low, false));
    }
    out
}

/// 0–9999. Inner zeros are said once, trailing zeros not at all; 两 before 百 and 千.
fn group(n: u16, leading: bool) -> String {
    if n == 0 {
        return DIGITS[0].to_string();
    }
    let places = [
        (n / 1000, "千"),
        (n / 100 % 10, "百"),
        (n / 10 % 10, "十"),
        (n % 10, ""),
    ];
    let mut out = String::new();
    let mut started = false;
    let mut zero_waiting = false;
    for (digit, unit) in places {
        if digit == 0 {
            zero_waiting |= started;
            continue;
        }
        if zero_waiting {
            out.push_str(DIGITS[0]);
            zero_waiting = false;
        }
        let word = match (digit, unit) {
            (2, "千" | "百") => "两",
            (1, "十") if !started && leading => "",
            _ => DIGITS[digit as usize],
        };
        out.push_str(word);
        out.push_str(unit);
        started = true;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_a_villager_hears_them() {
        for (n, words) in [
            (0, "零"),
            (2, "二"),
            (10, "十"),
            (12, "十二"),
            (20, "二十"),
            (22, "二十二"),
            (105, "一百零五"),
            (110, "一百一十"),
            (200, "两百"),
            (1005, "一千零五"),
            (1010, "一千零一十"),
            (2000, "两千"),
            (10_000, "一万"),
            (10_005, "一万零五"),
            (12_000, "一万两千"),
            (20_000, "两万"),
            (100_000, "十万"),
            (100_010, "十万零一十"),
            (120_000, "十二万"),
            (1_005_000, "一百万零五千"),
            (1_215_000, "一百二十一万五千"),
            (10_050_000, "一千零五万"),
            (100_000_000, "一亿"),
            (100_000_010, "一亿零一十"),
            (-5, "负五"),
            (-22, "负二十二"),
        ] {
            assert_eq!(number_words(n), words, "{n}");
        }
    }

    #[test]
    fn two_of_something_is_liang() {
        assert_eq!(count_words(2), "两");
        assert_eq!(count_words(12), "十二");
        assert_eq!(count_words(-2), "负二");
    }

    #[test]
    fn the_largest_numbers_still_have_words() {
        assert!(number_words(i64::MAX).ends_with('七'));
        assert!(number_words(i64::MIN).starts_with("负"));
    }
}
