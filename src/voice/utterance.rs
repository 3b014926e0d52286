//! What is said, kept as parts rather than one string, so a voice pack can find a clip for
//! each part (a phrase, a number word, a letter of a serial, an item's name) and espeak-ng
//! can be given the same words as text.

use super::numbers::{count_words, digit_word, number_words};

/// One thing said aloud, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Utterance {
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Words fixed by the kiosk (您好, 兑换成功): a pack records each as one clip.
    Phrase(String),
    /// A number read as a value: 一百零五.
    Number(i64),
    /// A number counting something, before 分 or 份: 两分.
    Count(i64),
    /// Read character by character: a serial, a household code.
    Spell(String),
    /// A name from the village's data (an item, the village, a merchant): a pack may hold
    /// a clip of it; otherwise the synthesiser reads it.
    Name(String),
}

impl Utterance {
    pub fn new() -> Utterance {
        Utterance::default()
    }

    pub fn phrase(mut self, words: &str) -> Utterance {
        if !words.is_empty() {
            self.parts.push(Part::Phrase(words.to_string()));
        }
        self
    }

    pub fn number(mut self, n: i64) -> Utterance {
        self.parts.push(Part::Number(n));
        self
    }

    pub fn count(mut self, n: i64) -> Utterance {
        self.parts.push(Part::Count(n));
        self
    }

    pub fn spell(mut self, text: &str) -> Utterance {
        self.parts.push(Part::Spell(text.to_string()));
        self
    }

    pub fn name(mut self, name: &str) -> Utterance {
        if !name.is_empty() {
            self.parts.push(Part::Name(name.to_string()));
        }
        self
    }

    pub fn then(mut self, other: Utterance) -> Utterance {
        self.parts.extend(other.parts);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The words in characters, numbers in words: what `voice say --print` and a screen's
    /// `.say.txt` show, and what espeak-ng is given.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Phrase(words) => out.push_str(words),
                // A name from the data may hold digits (大米5斤): read by the same rules.
                Part::Name(words) if words.chars().any(|c| c.is_ascii_digit()) => {
                    out.push_str(&from_text(words).text())
                }
                Part::Name(words) => out.push_str(words),
                Part::Number(n) => out.push_str(&number_words(*n)),
                Part::Count(n) => out.push_str(&count_words(*n)),
                // Letter by letter with a pause between; digits alone (a year) run together.
                Part::Spell(text) if text.chars().all(|c| c.is_ascii_digit()) => out.push_str(&spelled(text).concat()),
                Part::Spell(text) => out.push_str(&spelled(text).join(" ")),
            }
        }
        out
    }

    /// The clips a voice pack needs to say this, in order: a phrase or a name whole (its
    /// punctuation is a pause, not part of the clip's name), a number word by word
    /// character, a serial letter by letter.
    pub fn clips(&self) -> Vec<Clip> {
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Phrase(words) | Part::Name(words) => {
                    for piece in words.split(is_pause) {
                        let key = clip_key(piece);
                        if !key.is_empty() {
                            out.push(Clip::Words(key));
                        }
                    }
                    if words.ends_with(is_pause) {
                        out.push(Clip::Pause);
                    }
                }
                Part::Number(n) => out.extend(number_words(*n).chars().map(|c| Clip::Words(c.to_string()))),
                Part::Count(n) => out.extend(count_words(*n).chars().map(|c| Clip::Words(c.to_string()))),
                Part::Spell(text) => out.extend(spelled(text).into_iter().map(Clip::Words)),
            }
        }
        out
    }
}

/// One piece of a recorded utterance.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Clip {
    /// The file `<words>.wav` of the pack.
    Words(String),
    /// A short silence where the text has a comma or a full stop.
    Pause,
}

/// Free text as a clerk types it (`jifen voice say`): runs of digits become words by the
/// rules above — a year (2026年) digit by digit, 2 before a measure word as 两, a serial or
/// a code with letters (YT-2-000042-7) character by character, a minus sign as 负.
pub fn from_text(text: &str) -> Utterance {
    let chars: Vec<char> = text.chars().collect();
    let mut u = Utterance::new();
    let mut words = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_alphanumeric() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '-') {
                i += 1;
            }
            let token: String = chars[start..i]
                .iter()
                .collect::<String>()
                .trim_end_matches('-')
                .to_string();
            i = start + token.chars().count();
            let minus = words.ends_with('-') || words.ends_with('−');
            if minus {
                words.pop();
            }
            u = u.phrase(&std::mem::take(&mut words));
            let next = chars[i..].iter().copied().find(|c| *c != ' ');
            u = match token.parse::<i64>() {
                // A year, or digits with a leading zero (a code), digit by digit.
                Ok(_) if (token.len() == 4 && next == Some('年')) || (token.len() > 1 && token.starts_with('0')) => {
                    u.spell(&token)
                }
                Ok(n) => {
                    let n = if minus { -n } else { n };
                    if next.is_some_and(is_measure_word) {
                        u.count(n)
                    } else {
                        u.number(n)
                    }
                }
                Err(_) => u.spell(&token),
            };
        } else {
            words.push(c);
            i += 1;
        }
    }
    u.phrase(&words)
}

fn spelled(text: &str) -> Vec<String> {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match digit_word(c) {
            Some(w) => w.to_string(),
            None => c.to_ascii_uppercase().to_string(),
        })
        .collect()
}

fn is_pause(c: char) -> bool {
    matches!(
        c,
        '，' | '。' | '、' | '；' | '：' | '？' | '！' | ',' | '.' | ';' | ':' | '?' | '!' | '…'
    )
}

fn is_measure_word(c: char) -> bool {
    matches!(
        c,
        '分' | '份' | '个' | '样' | '张' | '户' | '位' | '次' | '件' | '袋' | '瓶' | '块' | '包'
    )
}

/// A clip's file name: the words without spaces or quotation marks.
fn clip_key(piece: &str) -> String {
    piece
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '“' | '”' | '"' | '（' | '）' | '(' | ')' | '《' | '》'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_reads_numbers_by_our_rules() {
        assert_eq!(from_text("您有105分").text(), "您有一百零五分");
        assert_eq!(from_text("扣了2分").text(), "扣了两分");
        assert_eq!(from_text("本月-5分").text(), "本月负五分");
        assert_eq!(from_text("2026年11月").text(), "二零二六年十一月");
        assert_eq!(from_text("券号YT-2-000042-7").text(), "券号Y T 二 零 零 零 零 四 二 七");
        assert_eq!(from_text("一万两千").text(), "一万两千");
        assert_eq!(from_text("洗衣皂 2 块").text(), "洗衣皂 两 块");
    }

    #[test]
    fn a_pack_needs_a_clip_per_phrase_and_per_number_word() {
        let u = Utterance::new()
            .phrase("您家现在有")
            .count(105)
            .phrase("分。")
            .spell("YT-2");
        let clips = u.clips();
        assert_eq!(
            clips,
            vec![
                Clip::Words("您家现在有".into()),
                Clip::Words("一".into()),
                Clip::Words("百".into()),
                Clip::Words("零".into()),
                Clip::Words("五".into()),
                Clip::Words("分".into()),
                Clip::Pause,
                Clip::Words("Y".into()),
                Clip::Words("T".into()),
                Clip::Words("二".into()),
            ]
        );
    }
}
