//! Household QR cards (DESIGN.md §9): the card's token is the whole secret — whoever
//! shows it opens the account — so tokens are random (120 bits), and a card issued anew
//! stops the old one at once here, and at every kiosk of the village after sync.

use std::collections::BTreeMap;

use rand::RngCore;

use super::printing::{Document, Printout};
use super::{App, AppError, Identity, Result};
use crate::domain::household::qr_token_from;

impl App {
    /// The household's card to print. With `reissue`, or when it has none yet, a new
    /// token is made first and the old one stops working.
    pub fn household_card(&mut self, household: &str, reissue: bool, clerk: &str) -> Result<Printout> {
        let view = self.account_view(&Identity::HouseholdCode(household.to_string()))?;
        let code = view.household_code.clone();
        let village = self.village.code.clone();
        let device = self.device_id();
        let now = self.clock.now();
        let token = self.store.write(|tx| {
            let row = tx
                .household_row(&code)?
                .ok_or_else(|| AppError::UnknownHousehold(code.clone()))?;
            if let (Some(t), false) = (&row.qr_token, reissue) {
                return Ok::<_, AppError>(t.clone());
            }
            let mut random = [0u8; 15];
            rand::rngs::OsRng.fill_bytes(&mut random);
            let token = qr_token_from(&village, random);
            tx.set_household_qr_token(&code, &token)?;
            tx.append_event("qr_card_issued", &code, now)?;
            let detail = if row.qr_token.is_some() {
                "换新卡，旧卡作废"
            } else {
                "发卡"
            };
            super::audit::record(tx, clerk, "card", &code, detail, &device, now)?;
            Ok(token)
        })?;
        let today = self.clock.today();
        Ok(Printout {
            document: Document::HouseholdCard,
            name: format!("card-{code}-{today}"),
            fields: BTreeMap::from([
                ("village", self.village.name.clone()),
                ("household", code),
                ("head", view.head.unwrap_or_default()),
                ("issued", today.to_string()),
                ("qr", token),
            ]),
            rows: Vec::new(),
        })
    }
}
