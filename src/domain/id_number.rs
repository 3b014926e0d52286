//! Resident ID numbers (居民身份证号码, GB 11643-1999).
//!
//! An [`IdNumber`] only exists once validated, and it never prints itself in clear:
//! `Debug` and `Display` both show the masked form, so an ID number cannot leak into
//! a log line or an error message by accident (DESIGN.md §5.7).

use std::fmt;

use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A validated 18-character resident ID number.
#[derive(Clone, PartialEq, Eq)]
pub struct IdNumber(String);

/// Why a string is not a resident ID number. Messages never repeat the number itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("an ID number has 18 characters, this one has {0}")]
    WrongLength(usize),
    #[error("the first 17 characters of an ID number must be digits")]
    NotDigits,
    #[error("the last character must be a digit or X")]
    BadLastCharacter,
    #[error("the birth date inside the ID number is not a plausible date")]
    ImplausibleBirthDate,
    #[error("wrong check character: expected {expected}, found {found}")]
    WrongCheckCharacter { expected: char, found: char },
}

impl IdNumber {
    /// Validates length, digits, birth date and the ISO 7064 MOD 11-2 check character.
    /// A lower-case `x` is accepted and stored upper-case.
    pub fn parse(input: &str) -> Result<IdNumber, IdNumberError> {
        let s = input.trim().to_ascii_uppercase();
        let chars: Vec<char> = s.chars().collect();
        if chars.len() != 18 {
            return Err(IdNumberError::WrongLength(chars.len()));
        }
        if !chars[..17].iter().all(|c| c.is_ascii_digit()) {
            return Err(IdNumberError::NotDigits);
        }
        let last = chars[17];
        if !(last.is_ascii_digit() || last == 'X') {
            return Err(IdNumberError::BadLastCharacter);
        }
        let year: i32 = s[6..10].parse().map_err(|_| IdNumberError::NotDigits)?;
        let month: u32 = s[10..12].parse().map_err(|_| IdNumberError::NotDigits)?;
        let day: u32 = s[12..14].parse().map_err(|_| IdNumberError::NotDigits)?;
        if !(1900..=2100).contains(&year) || NaiveDate::from_ymd_opt(year, month, day).is_none() {
            return Err(IdNumberError::ImplausibleBirthDate);
        }
        let expected = check_character(&s[..17]).ok_or(IdNumberError::NotDigits)?;
        if expected != last {
            return Err(IdNumberError::WrongCheckCharacter { expected, found: last });
        }
        Ok(IdNumber(s))
    }

    /// `330483********123X`: region code and last four, as printed on receipts and screens.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }

    /// The last four characters, stored for display next to the keyed hash.
    pub fn last4(&self) -> &str {
        &self.0[14..]
    }

    /// HMAC-SHA256 of the number under the installation's secret, in hex: the only form
    /// in which the number is stored. Without the secret the hash cannot be brute-forced
    /// from the small space of plausible ID numbers.
    pub fn keyed_hash(&self, secret: &[u8]) -> String {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key");
        mac.update(self.0.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The birth date encoded in the number (validated by `parse`).
    pub fn birth_date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").ok()
    }

    /// GB 11643: the 17th character (the sequence code's last digit) is odd for men.
    pub fn is_male(&self) -> bool {
        self.0.as_bytes()[16] % 2 == 1
    }

    /// The number in clear, for the one place that needs it: handing it to the hash.
    /// Deliberately long-named so it stands out in review.
    pub fn expose_in_clear(&self) -> &str {
        &self.0
    }
}

/// The GB 11643 check character of 17 digits, or `None` when they are not 17 digits.
pub fn check_character(first17: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CODES: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += c.to_digit(10)? * w;
    }
    Some(CODES[(sum % 11) as usize])
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Masks a name for public screens and honour rolls: 张三 → 张*, 张三丰 → 张*丰,
/// 欧阳小明 → 欧**明. A one-character name is shown as it is.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 | 1 => chars.iter().collect(),
        2 => format!("{}*", chars[0]),
        n => {
            let mut out = String::new();
            out.push(chars[0]);
            out.extend(std::iter::repeat_n('*', n - 2));
            out.push(chars[n - 1]);
            out
        }
    }
}

/// How the kiosk greets the person whose card it read: the surname and a respectful form
/// of address, as villagers are spoken to (张大爷, 李阿姨; 张先生, 李女士 under sixty).
/// Only the surname is shown, so nothing more of the name reaches the screen.
pub fn form_of_address(name: &str, id: &IdNumber, today: NaiveDate) -> String {
    let surname: String = name.trim().chars().take(1).collect();
    let elder = id
        .birth_date()
        .and_then(|b| today.years_since(b))
        .is_some_and(|age| age >= 60);
    let title = match (elder, id.is_male()) {
        (true, true) => "大爷",
        (true, false) => "阿姨",
        (false, true) => "先生",
        (false, false) => "女士",
    };
    format!("{surname}{title}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn villagers_are_greeted_by_surname_age_and_sex() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let with = |body: &str| {
            let c = check_character(body).unwrap();
            IdNumber::parse(&format!("{body}{c}")).unwrap()
        };
        assert_eq!(form_of_address("张三丰", &with("33048319460101001"), today), "张大爷");
        assert_eq!(form_of_address("李秀英", &with("33048319500101002"), today), "李阿姨");
        assert_eq!(form_of_address("王强", &with("33048319900101003"), today), "王先生");
        assert_eq!(form_of_address("陈芳", &with("33048319900101004"), today), "陈女士");
        // Sixty on the birthday, not the year before.
        assert_eq!(form_of_address("赵一", &with("33048319661129005"), today), "赵先生");
    }

    #[test]
    fn the_standard_example_has_check_character_x() {
        // The worked example of GB 11643: 11010519491231002X.
        assert_eq!(check_character("11010519491231002"), Some('X'));
        assert!(IdNumber::parse("11010519491231002X").is_ok());
        assert!(IdNumber::parse("11010519491231002x").is_ok());
    }

    #[test]
    fn one_wrong_digit_is_caught() {
        let err = IdNumber::parse("11010519491231003X").unwrap_err();
        assert!(matches!(err, IdNumberError::WrongCheckCharacter { .. }));
        assert!(!err.to_string().contains("110105"));
    }

    #[test]
    fn masks_keep_only_region_and_last_four() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.masked(), "110105********002X");
        assert_eq!(format!("{id:?}"), "IdNumber(110105********002X)");
        assert_eq!(id.last4(), "002X");
    }

    #[test]
    fn names_are_masked_for_public_screens() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("张三丰"), "张*丰");
        assert_eq!(mask_name("欧阳小明"), "欧**明");
        assert_eq!(mask_name("王"), "王");
    }

    #[test]
    fn impossible_birth_dates_are_refused() {
        // 1949-02-30 does not exist; check character computed for it anyway.
        let body = "11010519490230002";
        let c = check_character(body).unwrap();
        let err = IdNumber::parse(&format!("{body}{c}")).unwrap_err();
        assert_eq!(err, IdNumberError::ImplausibleBirthDate);
    }
}
