//! Villages, registered kiosks, request nonces and township rule imports.

use chrono::{DateTime, Utc};

use super::{PgError, PgTx, Result};
use crate::store::{DeviceRow, VillageRow};

impl PgTx<'_> {
    pub async fn villages(&self) -> Result<Vec<VillageRow>> {
        let rows = self.q("SELECT code, name FROM villages ORDER BY code", &[]).await?;
        Ok(rows
            .iter()
            .map(|r| VillageRow {
                code: r.get(0),
                name: r.get(1),
            })
            .collect())
    }

    pub async fn village(&self, code: &str) -> Result<Option<VillageRow>> {
        let row = self
            .q_opt("SELECT code, name FROM villages WHERE code = $1", &[&code])
            .await?;
        Ok(row.map(|r| VillageRow {
            code: r.get(0),
            name: r.get(1),
        }))
    }

    pub async fn insert_village(&self, v: &VillageRow, id_number_key: &[u8; 32], at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO villages (code, name, id_number_key, created_at) VALUES ($1, $2, $3, $4)",
            &[&v.code, &v.name, &id_number_key.as_slice(), &at],
        )
        .await?;
        Ok(())
    }

    pub async fn id_number_key(&self, village: &str) -> Result<Option<[u8; 32]>> {
        let row = self
            .q_opt("SELECT id_number_key FROM villages WHERE code = $1", &[&village])
            .await?;
        row.map(|r| id_number_key_of(village, r.get(0))).transpose()
    }

    /// What a kiosk's hello answers about its village in one round trip: the row, the
    /// ID-number key, the feed's generation and last position.
    pub async fn village_facts(&self, code: &str) -> Result<Option<(VillageRow, [u8; 32], String, i64)>> {
        let row = self
            .q_opt(
                "SELECT code, name, id_number_key, generation, feed_last FROM villages WHERE code = $1",
                &[&code],
            )
            .await?;
        row.map(|r| {
            let village = VillageRow {
                code: r.get(0),
                name: r.get(1),
            };
            Ok((village, id_number_key_of(code, r.get(2))?, r.get(3), r.get(4)))
        })
        .transpose()
    }

    /// Takes the village's row lock until commit (see `feed_last` in the schema); None
    /// when the village is not registered.
    pub async fn lock_village(&self, code: &str) -> Result<Option<i64>> {
        let row = self
            .q_opt("SELECT feed_last FROM villages WHERE code = $1 FOR UPDATE", &[&code])
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    pub async fn device(&self, id: &str) -> Result<Option<DeviceRow>> {
        let sql = format!("SELECT {DEVICE_COLS} FROM devices WHERE id = $1");
        let row = self.q_opt(&sql, &[&id]).await?;
        Ok(row.as_ref().map(device_row))
    }

    pub async fn devices(&self) -> Result<Vec<DeviceRow>> {
        let sql = format!("SELECT {DEVICE_COLS} FROM devices ORDER BY village, number");
        let rows = self.q(&sql, &[]).await?;
        Ok(rows.iter().map(device_row).collect())
    }

    /// One more than any number the village's kiosks were ever given.
    pub async fn next_device_number(&self, village: &str) -> Result<u32> {
        let n: i32 = self
            .q_one(
                "SELECT coalesce(max(number), 0) + 1 FROM devices WHERE village = $1",
                &[&village],
            )
            .await?
            .get(0);
        Ok(n as u32)
    }

    pub async fn insert_device(&self, d: &DeviceRow, at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO devices (id, village, name, public_key, number, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&d.id, &d.village, &d.name, &d.public_key, &(d.number as i32), &at],
        )
        .await?;
        Ok(())
    }

    /// What a kiosk said at its hello; true when its voucher key or old-serials flag is
    /// new (the village's kiosks must hear of it).
    pub async fn device_said_hello(
        &self,
        id: &str,
        voucher_key: &str,
        legacy_serials: bool,
        outbox_last: i64,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let row = self
            .q_one(
                "WITH old AS (SELECT voucher_key, legacy_serials FROM devices WHERE id = $1)
                 UPDATE devices SET voucher_key = coalesce(devices.voucher_key, $2),
                     legacy_serials = devices.legacy_serials OR $3, outbox_last = $4, last_seen_at = $5
                 FROM old WHERE devices.id = $1
                 RETURNING old.voucher_key IS DISTINCT FROM devices.voucher_key
                        OR old.legacy_serials IS DISTINCT FROM devices.legacy_serials",
                &[&id, &voucher_key, &legacy_serials, &outbox_last, &at],
            )
            .await?;
        Ok(row.get(0))
    }

    pub async fn device_seen(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
        self.exec("UPDATE devices SET last_seen_at = $2 WHERE id = $1", &[&id, &at])
            .await?;
        Ok(())
    }

    pub async fn retire_device(&self, id: &str, reason: &str, at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE devices SET retired_at = $3, retired_reason = $2 WHERE id = $1 AND retired_at IS NULL",
            &[&id, &reason, &at],
        )
        .await?;
        Ok(())
    }

    /// The township's signing key; made (once, whoever asks first) if there is none.
    pub async fn township_key(&self, fresh: [u8; 32]) -> Result<[u8; 32]> {
        self.exec(
            "INSERT INTO township_key (id, signing_key) VALUES (1, $1) ON CONFLICT DO NOTHING",
            &[&fresh.as_slice()],
        )
        .await?;
        let bytes: Vec<u8> = self
            .q_one("SELECT signing_key FROM township_key WHERE id = 1", &[])
            .await?
            .get(0);
        bytes
            .try_into()
            .map_err(|_| PgError::Corrupt("the township key is not 32 bytes".into()))
    }

    /// New generations for every village's feed (after a restore).
    pub async fn renew_generations(&self) -> Result<()> {
        self.exec(
            "UPDATE villages SET generation = md5(random()::text || clock_timestamp()::text || code)",
            &[],
        )
        .await?;
        Ok(())
    }

    /// Records a request nonce; false when the device used it before. Forgets nonces
    /// older than `forget_before` in the same statement.
    ///
    /// Run through [`super::PgStore::auto_unsynced`]: every signed request remembers its
    /// nonce, and waiting for the disk would add a WAL flush to each one. A crash may
    /// forget the last moments' nonces; what a replay of those could do is idempotent
    /// anyway (pushes carry event ids, pulls and hellos change nothing twice).
    pub async fn remember_nonce(&self, device: &str, nonce: &str, now: i64, forget_before: i64) -> Result<bool> {
        let n = self
            .exec(
                // Only this device's old nonces: its requests come one at a time, while a
                // DELETE of everyone's would make concurrent requests wait on each other's
                // row locks (the load test's p50 went from 3 ms to 100 ms).
                "WITH old AS (DELETE FROM nonces WHERE device = $1 AND seen_at < $4)
                 INSERT INTO nonces (device, nonce, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&device, &nonce, &now, &forget_before],
            )
            .await?;
        Ok(n == 1)
    }

    pub async fn rule_imports(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let rows = self
            .q("SELECT file_name, csv FROM rule_imports ORDER BY id", &[])
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub async fn add_rule_import(&self, file: &str, csv: &[u8], at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "INSERT INTO rule_imports (file_name, csv, imported_at) VALUES ($1, $2, $3)",
            &[&file, &csv, &at],
        )
        .await?;
        Ok(())
    }
}

fn id_number_key_of(village: &str, bytes: Vec<u8>) -> Result<[u8; 32]> {
    bytes
        .try_into()
        .map_err(|_| PgError::Corrupt(format!("village {village}'s ID-number key is not 32 bytes")))
}

const DEVICE_COLS: &str = "id, village, name, public_key, number, voucher_key, legacy_serials, retired_at, \
                           retired_reason, last_seen_at, outbox_last";

fn device_row(r: &tokio_postgres::Row) -> DeviceRow {
    let retired_at: Option<DateTime<Utc>> = r.get(7);
    DeviceRow {
        id: r.get(0),
        village: r.get(1),
        name: r.get(2),
        public_key: r.get(3),
        number: r.get::<_, i32>(4) as u32,
        voucher_key: r.get(5),
        legacy_serials: r.get(6),
        retired: retired_at.map(|at| (at, r.get::<_, Option<String>>(8).unwrap_or_default())),
        last_seen: r.get(9),
        outbox_last: r.get(10),
    }
}
