//! The tamper-evident chain of a dossier's history: each row carries a
//! SHA-256 over its own content and the previous row's hash, so that a row
//! rewritten, removed or inserted behind the API's back breaks every link
//! after it, and [`first_break`] finds where.

use sha2::{Digest, Sha256};

/// The content of one history row, as it is hashed: every field, each
/// written unambiguously (a missing value is not an empty one).
#[derive(Debug, Clone, Copy)]
pub struct Link<'a> {
    pub dossier_code: &'a str,
    pub seq: i32,
    pub action: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: &'a str,
    pub actor_id: &'a str,
    pub actor_role: &'a str,
    pub actor_name: &'a str,
    pub actor_agency: Option<&'a str>,
    /// The instant, as stored (UTC, microseconds).
    pub at: &'a str,
    pub note: Option<&'a str>,
    pub step_deadline: Option<&'a str>,
}

impl Link<'_> {
    /// The row's hash, chained to `previous` (None for the first row).
    pub fn hash(&self, previous: Option<&str>) -> String {
        let seq = self.seq.to_string();
        digest([
            previous,
            Some(self.dossier_code),
            Some(seq.as_str()),
            Some(self.action),
            self.from_status,
            Some(self.to_status),
            Some(self.actor_id),
            Some(self.actor_role),
            Some(self.actor_name),
            self.actor_agency,
            Some(self.at),
            self.note,
            self.step_deadline,
        ])
    }
}

/// SHA-256 (hex) over fields each written unambiguously: a missing value
/// (`-`) is not an empty one (`+0:`), and each value carries its length.
pub fn digest<'a>(fields: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let mut h = Sha256::new();
    for value in fields {
        match value {
            None => h.update(b"-"),
            Some(v) => {
                h.update(format!("+{}:", v.len()).as_bytes());
                h.update(v.as_bytes());
            }
        }
    }
    format!("{:x}", h.finalize())
}

/// A stored history row, as the chain sees it.
pub trait Chained {
    fn seq(&self) -> i32;
    /// The hash stored with the row.
    fn stored_hash(&self) -> Option<&str>;
    /// The hash of its content, chained to `previous`.
    fn link_hash(&self, previous: Option<&str>) -> String;
}

/// Where a dossier's chain breaks: the first row (by seq) whose stored hash
/// is not the hash of its content chained to the row before, or whose seq
/// is not the next one (a row removed or inserted).
pub fn first_break<T: Chained>(rows: impl IntoIterator<Item = T>) -> Option<(i32, &'static str)> {
    let mut previous: Option<String> = None;
    for (expected_seq, row) in (1..).zip(rows) {
        if row.seq() != expected_seq {
            return Some((row.seq(), "a row is missing before this one, or was inserted"));
        }
        let hash = row.link_hash(previous.as_deref());
        let seq = row.seq();
        match row.stored_hash() {
            None => return Some((seq, "the row has no hash")),
            Some(s) if s != hash => return Some((seq, "the row's content or its place in the chain changed")),
            Some(_) => {}
        }
        previous = Some(hash);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Chained for (Link<'static>, Option<&str>) {
        fn seq(&self) -> i32 {
            self.0.seq
        }
        fn stored_hash(&self) -> Option<&str> {
            self.1
        }
        fn link_hash(&self, previous: Option<&str>) -> String {
            self.0.hash(previous)
        }
    }

    fn link(seq: i32, note: Option<&'static str>) -> Link<'static> {
        Link {
            dossier_code: "000.00.05.H56-260302-0001",
            seq,
            action: "receive",
            from_status: Some("submitted"),
            to_status: "received",
            actor_id: "officer",
            actor_role: "officer",
            actor_name: "Trần Thị Bình",
            actor_agency: Some("000.00.05.H56"),
            at: "2026-03-02 02:00:00",
            note,
            step_deadline: None,
        }
    }

    fn chained(links: &[Link<'static>]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for l in links {
            let prev = out.last().cloned();
            out.push(l.hash(prev.as_deref()));
        }
        out
    }

    #[test]
    fn an_intact_chain_has_no_break() {
        let links = [link(1, None), link(2, Some("x")), link(3, None)];
        let hashes = chained(&links);
        assert_eq!(first_break(links.iter().copied().zip(hashes.iter().map(|h| Some(h.as_str())))), None);
    }

    #[test]
    fn a_rewritten_note_breaks_its_row() {
        let links = [link(1, None), link(2, Some("x")), link(3, None)];
        let hashes = chained(&links);
        let tampered = [link(1, None), link(2, Some("y")), link(3, None)];
        let found = first_break(tampered.iter().copied().zip(hashes.iter().map(|h| Some(h.as_str()))));
        assert_eq!(found.map(|(seq, _)| seq), Some(2));
    }

    #[test]
    fn a_removed_row_breaks_the_chain_where_it_was() {
        let links = [link(1, None), link(2, Some("x")), link(3, None)];
        let hashes = chained(&links);
        let rows = [(links[0], Some(hashes[0].as_str())), (links[2], Some(hashes[2].as_str()))];
        assert_eq!(first_break(rows).map(|(seq, _)| seq), Some(3));
    }

    #[test]
    fn a_missing_value_is_not_an_empty_one() {
        assert_ne!(link(1, None).hash(None), link(1, Some("")).hash(None));
        assert_ne!(link(1, None).hash(None), link(1, None).hash(Some("")));
    }
}
