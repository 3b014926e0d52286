//! Money of the sponsors' funds: yuan with fen, kept as whole fen (never a float), so a
//! statement's figures add up to the fen however many vouchers pass through them.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// The most one amount may be: ten million yuan. A sponsor's gift of more is a typo.
pub const MAX_FEN: i64 = 10_000_000 * 100;

/// An amount in fen (分); shows as yuan with two decimals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fen(pub i64);

/// Why a typed amount is not money, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("'{0}' is not an amount of money; write yuan with at most two decimals, e.g. 2000.00")]
    NotANumber(String),
    #[error("'{0}' has more than two decimals: a fen (0.01) is the smallest amount")]
    BelowFen(String),
    #[error("'{0}' is negative; an amount is what was received or paid, never below zero")]
    Negative(String),
    #[error("'{0}' is more than 10,000,000.00 yuan; check the figure")]
    Absurd(String),
}

impl Fen {
    /// The yuan part and the fen part, for printing.
    pub fn yuan_text(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    pub fn times(self, n: i64) -> Fen {
        Fen(self.0.saturating_mul(n))
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.yuan_text())
    }
}

/// In JSON as the yuan text (`"2000.00"`), so no reader turns it into a float.
impl Serialize for Fen {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.yuan_text())
    }
}

impl FromStr for Fen {
    type Err = MoneyError;

    /// `2000`, `2000.5`, `2000.50`, `¥8.00` and `8元` are amounts; `0.001`, `-5`, `1e3` are not.
    fn from_str(s: &str) -> Result<Fen, MoneyError> {
        let text = s.trim();
        let bare = text.trim_start_matches(['¥', '￥']).trim_end_matches('元').trim();
        if bare.starts_with('-') {
            return Err(MoneyError::Negative(text.to_string()));
        }
        let (whole, fraction) = bare.split_once('.').unwrap_or((bare, ""));
        let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) {
            return Err(MoneyError::NotANumber(text.to_string()));
        }
        if fraction.len() > 2 {
            return Err(MoneyError::BelowFen(text.to_string()));
        }
        let absurd = || MoneyError::Absurd(text.to_string());
        let yuan: i64 = whole.parse().map_err(|_| absurd())?;
        let fen: i64 = format!("{fraction:0<2}").parse().unwrap_or(0);
        let total = yuan
            .checked_mul(100)
            .and_then(|y| y.checked_add(fen))
            .ok_or_else(absurd)?;
        if total > MAX_FEN {
            return Err(absurd());
        }
        Ok(Fen(total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_with_fen_parse_exactly_and_print_back() {
        for (text, fen) in [
            ("2000.00", 200_000),
            ("8", 800),
            ("8.5", 850),
            ("¥0.01", 1),
            ("12元", 1200),
        ] {
            assert_eq!(text.parse::<Fen>(), Ok(Fen(fen)), "{text}");
        }
        assert_eq!(Fen(200_050).to_string(), "2000.50");
        assert_eq!(Fen(-5).to_string(), "-0.05");
        assert_eq!(serde_json::to_string(&Fen(801)).unwrap(), "\"8.01\"");
    }

    #[test]
    fn fractions_of_a_fen_negatives_and_absurd_sums_are_refused_in_words() {
        assert!(matches!("0.001".parse::<Fen>(), Err(MoneyError::BelowFen(_))));
        assert!(matches!("-5".parse::<Fen>(), Err(MoneyError::Negative(_))));
        assert!(matches!("1e3".parse::<Fen>(), Err(MoneyError::NotANumber(_))));
        assert!(matches!(".5".parse::<Fen>(), Err(MoneyError::NotANumber(_))));
        assert!(matches!(
            "99999999999999999999".parse::<Fen>(),
            Err(MoneyError::Absurd(_))
        ));
        assert!(matches!("10000000.01".parse::<Fen>(), Err(MoneyError::Absurd(_))));
        assert_eq!(
            "0.001".parse::<Fen>().unwrap_err().to_string(),
            "'0.001' has more than two decimals: a fen (0.01) is the smallest amount"
        );
    }
}
