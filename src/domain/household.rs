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
