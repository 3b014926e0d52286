//! The 256-byte UCS-2LE text block of a card read: name, sex, ethnicity, birth date,
//! address, ID number, issuing authority and validity, at fixed byte offsets.

use std::fmt;

use crate::domain::id_number::{IdNumber, IdNumberError};

/// Size of the text block in a read reply.
pub const TEXT_BLOCK_LEN: usize = 256;

/// The card's text. `Debug` shows the masked ID number and masked name only.
#[derive(Clone, PartialEq, Eq)]
pub struct CardText {
    pub name: String,
    /// `1` man, `2` woman (GB/T 2261.1).
    pub sex: String,
    /// Two-digit ethnicity code (GB 3304), `01` = 汉.
    pub ethnicity: String,
    /// `YYYYMMDD`.
    pub birth_date: String,
    pub address: String,
    pub id_number: IdNumber,
    pub issuer: String,
    pub valid_from: String,
    /// `YYYYMMDD` or `长期` (no expiry).
    pub valid_to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextBlockError {
    #[error("the text block has {0} bytes, expected {TEXT_BLOCK_LEN}")]
    WrongLength(usize),
    #[error("the {0} field is not valid UCS-2 text")]
    BadText(&'static str),
    #[error("the card's ID number is invalid: {0}")]
    BadIdNumber(#[from] IdNumberError),
}

/// (field, first byte, end byte exclusive).
const FIELDS: [(&str, usize, usize); 9] = [
    ("name", 0, 30),
    ("sex", 30, 32),
    ("ethnicity", 32, 36),
    ("birth date", 36, 52),
    ("address", 52, 122),
    ("ID number", 122, 158),
    ("issuer", 158, 188),
    ("valid from", 188, 204),
    ("valid to", 204, 220),
];

impl CardText {
    /// Parses a text block; the ID number is validated with its check character.
    pub fn parse(block: &[u8]) -> Result<CardText, TextBlockError> {
        if block.len() != TEXT_BLOCK_LEN {
            return Err(TextBlockError::WrongLength(block.len()));
        }
        let mut f = FIELDS
            .iter()
            .map(|&(name, a, b)| decode_ucs2(&block[a..b]).ok_or(TextBlockError::BadText(name)));
        let mut next = || f.next().unwrap_or(Err(TextBlockError::BadText("missing")));
        Ok(CardText {
            name: next()?,
            sex: next()?,
            ethnicity: next()?,
            birth_date: next()?,
            address: next()?,
            id_number: IdNumber::parse(&next()?)?,
            issuer: next()?,
            valid_from: next()?,
            valid_to: next()?,
        })
    }

    /// Encodes the block as a reader sends it, padded with spaces (for the simulator).
    pub fn encode(&self) -> [u8; TEXT_BLOCK_LEN] {
        let mut block = [0u8; TEXT_BLOCK_LEN];
        let values = [
            self.name.as_str(),
            &self.sex,
            &self.ethnicity,
            &self.birth_date,
            &self.address,
            self.id_number.expose_in_clear(),
            &self.issuer,
            &self.valid_from,
            &self.valid_to,
        ];
        for (&(_, a, b), value) in FIELDS.iter().zip(values) {
            let units = value.encode_utf16().chain(std::iter::repeat(0x0020));
            for (i, unit) in (a..b).step_by(2).zip(units) {
                block[i..i + 2].copy_from_slice(&unit.to_le_bytes());
            }
        }
        for i in (220..TEXT_BLOCK_LEN).step_by(2) {
            block[i..i + 2].copy_from_slice(&0x0020u16.to_le_bytes());
        }
        block
    }
}

fn decode_ucs2(bytes: &[u8]) -> Option<String> {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect();
    let s = String::from_utf16(&units).ok()?;
    Some(s.trim_end_matches([' ', '\0', '\u{3000}']).trim().to_string())
}

impl fmt::Debug for CardText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardText")
            .field("name", &crate::domain::id_number::mask_name(&self.name))
            .field("id_number", &self.id_number)
            .field("valid_to", &self.valid_to)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CardText {
        CardText {
            name: "沈建国".into(),
            sex: "1".into(),
            ethnicity: "01".into(),
            birth_date: "19491231".into(),
            address: "浙江省桐乡市河山镇堰头村".into(),
            id_number: IdNumber::parse("11010519491231002X").unwrap(),
            issuer: "桐乡市公安局".into(),
            valid_from: "20150101".into(),
            valid_to: "长期".into(),
        }
    }

    #[test]
    fn a_block_built_from_known_fields_parses_back_to_them() {
        let block = sample().encode();
        // The name's first character at offset 0, UCS-2LE: 沈 = U+6C88.
        assert_eq!(&block[0..2], &[0x88, 0x6C]);
        // The ID number starts at byte 122: '1' = 0x0031.
        assert_eq!(&block[122..124], &[0x31, 0x00]);
        assert_eq!(CardText::parse(&block).unwrap(), sample());
    }

    #[test]
    fn a_card_with_a_wrong_check_character_is_refused() {
        let mut block = sample().encode();
        // Replace the last character of the ID number (bytes 156-157) with '3'.
        block[156..158].copy_from_slice(&[0x33, 0x00]);
        assert!(matches!(CardText::parse(&block), Err(TextBlockError::BadIdNumber(_))));
        assert_eq!(CardText::parse(&block[..100]), Err(TextBlockError::WrongLength(100)));
    }

    #[test]
    fn debug_output_masks_personal_data() {
        let text = format!("{:?}", sample());
        assert!(text.contains("沈*国") && text.contains("110105********002X"), "{text}");
        assert!(!text.contains("河山镇") && !text.contains("19491231002"));
    }
}
