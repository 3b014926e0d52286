//! What a line from a QR scanner (or a keyboard, which a wedge scanner is) means at a
//! villager's screen. Decided here once, for every front end: the touch kiosk hears it
//! from `devices::qr`, the console kiosk sends its typed lines through the same door.

use super::voucher::presented_payload;

/// The longest line a scan may be; anything longer is noise, not a QR code of ours.
pub const MAX_SCAN_LEN: usize = 512;

/// One scanned or typed line, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScannedLine {
    /// A voucher's QR payload: settled by a clerk or a merchant, never an identity.
    Voucher(String),
    /// A household QR card's token: the one secret a scan may open an account with.
    HouseholdCard(String),
    /// Something shaped like a resident ID number (18 characters, the first 17 digits).
    /// It opens nothing: an ID number is written on many papers and anyone in an open
    /// hall can type one, so only the card reader (which reads the card's chip) counts.
    /// The number itself is dropped here, so it is never held, logged or shown.
    IdNumberTyped,
}

/// Reads one line. Blank lines, over-long lines and control characters give `None`.
/// A household code is no card either, but it is not told apart here: it is looked up
/// as a card token and not found, so it is refused like any unknown card.
pub fn read_scanned_line(line: &str) -> Option<ScannedLine> {
    let text = line.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    if text.is_empty() || text.len() > MAX_SCAN_LEN || text.chars().any(char::is_control) {
        return None;
    }
    Some(if let Some(payload) = presented_payload(text) {
        ScannedLine::Voucher(payload)
    } else if looks_like_id_number(text) {
        ScannedLine::IdNumberTyped
    } else {
        ScannedLine::HouseholdCard(text.to_string())
    })
}

fn looks_like_id_number(text: &str) -> bool {
    text.chars().count() == 18 && text.chars().take(17).all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vouchers_cards_and_typed_id_numbers_are_told_apart() {
        assert_eq!(
            read_scanned_line("JFV1|YT-000001-7|NOODLE|20|20270101|sig\r"),
            Some(ScannedLine::Voucher("JFV1|YT-000001-7|NOODLE|20|20270101|sig".into()))
        );
        // A voucher printed with the township's link reads as its payload, offline.
        assert_eq!(
            read_scanned_line("http://10.0.0.5:8080/console/v?q=JFV1%7CYT-000001-7%7CNOODLE%7C20%7C20270101%7Csig"),
            Some(ScannedLine::Voucher("JFV1|YT-000001-7|NOODLE|20|20270101|sig".into()))
        );
        assert_eq!(
            read_scanned_line(" YTH001-9UXJHP "),
            Some(ScannedLine::HouseholdCard("YTH001-9UXJHP".into()))
        );
        // With a wrong check character too: the shape is enough to refuse it.
        for id in ["11010519491231002X", "110105194912310021"] {
            assert_eq!(read_scanned_line(id), Some(ScannedLine::IdNumberTyped));
        }
        // Six Chinese characters are 18 bytes, not an ID number.
        assert_eq!(
            read_scanned_line("中文中文中文"),
            Some(ScannedLine::HouseholdCard("中文中文中文".into()))
        );
        assert_eq!(read_scanned_line("   "), None);
        assert_eq!(read_scanned_line("a\u{7}b"), None);
        assert_eq!(read_scanned_line(&"x".repeat(MAX_SCAN_LEN + 1)), None);
    }
}
