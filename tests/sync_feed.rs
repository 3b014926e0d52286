//! A village's change feed read while staff write to it from several connections at
//! once: a kiosk's cursor must never step over a change that commits late. Runs on
//! SQLite, and on PostgreSQL with JIFEN_TEST_DATABASE_URL set (where writers really
//! commit concurrently).

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::township::TestTownship;

const WRITERS: usize = 4;
const SHEETS_PER_WRITER: usize = 12;
const HOUSEHOLDS: usize = 6;

#[test]
fn a_cursor_read_during_concurrent_imports_misses_no_change_and_repeats_none() {
    let township = TestTownship::start();
    township.village("YT", "堰头村");
    let mut csv = String::from("household_code,grid,name,id_number,role,qr_token\n");
    for i in 1..=HOUSEHOLDS as u32 {
        csv.push_str(&format!("H{i},1,户主{i},{},head,\n", common::id_number(i)));
    }
    township
        .storage
        .import_households("YT", "households.csv", csv.as_bytes())
        .unwrap();

    let done = Arc::new(AtomicBool::new(false));
    let storage = township.storage.clone();
    let reader = {
        let done = done.clone();
        std::thread::spawn(move || {
            let (mut cursor, mut seen) = (0i64, Vec::new());
            loop {
                let finished = done.load(Ordering::SeqCst);
                let page = storage.changes("YT", "reader", cursor, 5).unwrap();
                seen.extend(page.changes.iter().map(|c| (c.seq, c.subject.clone())));
                cursor = page.next;
                if finished && !page.more {
                    return seen;
                }
            }
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let storage = township.storage.clone();
            std::thread::spawn(move || {
                for s in 0..SHEETS_PER_WRITER {
                    // Each writer scores its own months, so no two sheets share a key.
                    let n = w * SHEETS_PER_WRITER + s;
                    let month = format!("{}-{:02}", 2020 + n / 12, n % 12 + 1);
                    let mut sheet = String::from("month,household_code,rule_code,points,note,recorded_by\n");
                    for h in 1..=HOUSEHOLDS {
                        sheet.push_str(&format!("{month},H{h},B16,2,,网格员{w}\n"));
                    }
                    storage
                        .import_points("YT", &format!("w{w}-{s}.csv"), sheet.as_bytes())
                        .unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let seen = reader.join().unwrap();

    let positions: Vec<i64> = seen.iter().map(|(pos, _)| *pos).collect();
    let mut sorted = positions.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(positions, sorted, "positions came in order and none twice");
    let summary = township.storage.summary("YT").unwrap();
    let entries: HashSet<String> = summary.entry_ids.iter().map(|id| id.to_string()).collect();
    let pulled: HashSet<String> = seen.into_iter().map(|(_, subject)| subject).collect();
    assert_eq!(entries.len(), WRITERS * SHEETS_PER_WRITER * HOUSEHOLDS);
    let missed: Vec<_> = entries.difference(&pulled).collect();
    assert!(missed.is_empty(), "the cursor stepped over {} entries", missed.len());
    assert_eq!(
        summary.feed_last,
        *positions.last().unwrap(),
        "the last position was read"
    );
    assert!(township.storage.verify("YT").unwrap().is_empty());
}
