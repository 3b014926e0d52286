//! Quarterly rankings (每季一排名): households ordered by points earned, ties sharing a rank.

/// One household's place in a ranking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked<K> {
    pub key: K,
    pub earned: i64,
    /// Competition ranking: two households on 30 both rank 1, the next ranks 3.
    pub rank: u32,
}

/// Ranks by earned points, highest first. Ties share a rank and are listed in key order
/// so the printed list is stable.
pub fn rank<K: Ord + Clone>(scores: impl IntoIterator<Item = (K, i64)>) -> Vec<Ranked<K>> {
    let mut v: Vec<(K, i64)> = scores.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut out: Vec<Ranked<K>> = Vec::with_capacity(v.len());
    for (i, (key, earned)) in v.into_iter().enumerate() {
        let rank = match out.last() {
            Some(prev) if prev.earned == earned => prev.rank,
            _ => i as u32 + 1,
        };
        out.push(Ranked { key, earned, rank });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_a_rank_and_the_next_skips() {
        let r = rank([("c", 10), ("a", 30), ("b", 30), ("d", -5)]);
        let got: Vec<(&str, u32)> = r.iter().map(|x| (x.key, x.rank)).collect();
        assert_eq!(got, vec![("a", 1), ("b", 1), ("c", 3), ("d", 4)]);
    }
}
