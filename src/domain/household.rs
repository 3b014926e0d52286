//! Households and their members. Points belong to the household (一户一档), and any
//! member's ID card opens the household's account.

/// Whether a member is the head of the household (户主).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Head,
    Member,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Household {
    pub code: String,
    pub grid: String,
    pub members: Vec<Resident>,
}

/// A household member as the kiosk knows them: a name and the last four characters of
/// their ID number. The full number is never held; see `IdNumber::keyed_hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resident {
    pub name: String,
    pub role: Role,
    pub id_last4: String,
}

impl Household {
    pub fn head(&self) -> Option<&Resident> {
        self.members
            .iter()
            .find(|m| m.role == Role::Head)
            .or(self.members.first())
    }
}

impl Role {
    pub fn key(self) -> &'static str {
        match self {
            Role::Head => "head",
            Role::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s.trim() {
            "head" | "户主" => Some(Role::Head),
            "member" | "成员" => Some(Role::Member),
            _ => None,
        }
    }
}

/// The shortest household QR token taken: a token is the card's whole secret (whoever
/// shows it opens the account), so it must not be guessable like a household code.
pub const QR_TOKEN_MIN_LEN: usize = 20;

/// Whether a text may be a household card's token: 20 to 64 letters, digits or '-'.
pub fn is_qr_token(t: &str) -> bool {
    (QR_TOKEN_MIN_LEN..=64).contains(&t.len()) && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// A new household card token: the village code, then 120 random bits in 24 letters and
/// digits without look-alikes (`YT-K7M3…`). The caller supplies the randomness.
pub fn qr_token_from(village: &str, random: [u8; 15]) -> String {
    let mut bits: u128 = 0;
    for b in random {
        bits = bits << 8 | u128::from(b);
    }
    let tail: String = (0..24)
        .map(|i| char::from(TOKEN_ALPHABET[((bits >> (i * 5)) & 31) as usize]))
        .collect();
    format!("{village}-{tail}")
}

/// 32 symbols, five bits each: no I, O, 0 or 1 (read as one another); L stays, since its
/// look-alike 1 is not in the set.
const TOKEN_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_token_symbol_is_distinct_so_each_carries_five_bits() {
        let distinct: std::collections::HashSet<_> = TOKEN_ALPHABET.iter().collect();
        assert_eq!(distinct.len(), 32);
    }

    #[test]
    fn new_qr_tokens_are_long_and_differ_with_their_randomness() {
        let a = qr_token_from("YT", [1; 15]);
        let b = qr_token_from("YT", [2; 15]);
        assert!(is_qr_token(&a) && is_qr_token(&b), "{a} {b}");
        assert_ne!(a, b);
        assert!(a.starts_with("YT-") && a.len() == 27);
        assert!(!is_qr_token("YT-001"), "a household code is no token");
    }
}
