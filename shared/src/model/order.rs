//! Order keys: fractional indices that let one write reorder an item.
//!
//! A key is a string of base-36 digits (`0-9a-z`) read as a fraction between 0 and 1
//! (`"h"` is 17/36). A key never ends in `0`, so comparing two keys as strings gives
//! the same answer as comparing the fractions, and there is always room between two
//! different keys. Concurrent inserts at the same place may pick the same key; readers
//! break ties by item id, so both items survive and every replica shows the same order.
//!
//! Written here rather than taken from a crate because keys come from other replicas
//! and files: a key we did not make must never panic the reader (an invalid key sorts
//! last) and generating around it must still succeed.

const BASE: u8 = 36;

fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'z' => Some(c - b'a' + 10),
        _ => None,
    }
}

fn char_of(d: u8) -> char {
    char::from(if d < 10 { b'0' + d } else { b'a' + d - 10 })
}

/// Whether `key` is a well-formed order key.
pub fn is_valid(key: &str) -> bool {
    !key.is_empty() && !key.ends_with('0') && key.bytes().all(|c| digit(c).is_some())
}

/// A key strictly between `lower` and `upper` (`None` means the start or the end).
///
/// Invalid or out-of-order bounds are ignored rather than trusted, so the result is
/// always valid; it is between the bounds whenever they are valid and `lower < upper`.
pub fn between(lower: Option<&str>, upper: Option<&str>) -> String {
    let lower = lower.filter(|k| is_valid(k));
    let upper = upper.filter(|k| is_valid(k));
    let (lower, upper) = match (lower, upper) {
        (Some(l), Some(u)) if l >= u => (Some(l), None),
        other => other,
    };
    let a: Vec<u8> = lower.map_or_else(Vec::new, |k| k.bytes().filter_map(digit).collect());
    let b: Option<Vec<u8>> = upper.map(|k| k.bytes().filter_map(digit).collect());
    midpoint(&a, b.as_deref())
        .into_iter()
        .map(char_of)
        .collect()
}

/// Digits of a fraction strictly between `0.a` and `0.b` (`b = None` means 1).
/// Requires `0.a < 0.b`; neither has trailing zero digits.
fn midpoint(a: &[u8], b: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let da = a.get(i).copied().unwrap_or(0);
        let db = match b {
            Some(b) => b.get(i).copied().unwrap_or(0),
            None => BASE,
        };
        if da == db {
            out.push(da);
            i += 1;
            continue;
        }
        if db > da + 1 {
            out.push(da + (db - da) / 2);
            return out;
        }
        // Adjacent digits: keep a's digit and go above the rest of a, unbounded.
        out.push(da);
        let rest = a.get(i + 1..).unwrap_or(&[]);
        out.extend(midpoint(rest, None));
        return out;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn first_key_is_in_the_middle() {
        assert_eq!(between(None, None), "i");
    }

    #[test]
    fn keys_between_adjacent_digits_grow_by_one_digit() {
        let k = between(Some("a"), Some("b"));
        assert!("a" < k.as_str() && k.as_str() < "b", "{k}");
    }

    #[test]
    fn invalid_bounds_are_ignored() {
        for bad in ["", "A", "a0", "é", "a-b"] {
            let k = between(Some(bad), Some(bad));
            assert!(is_valid(&k), "{bad} gave {k}");
        }
        // Reversed bounds still give a valid key after the lower one.
        let k = between(Some("m"), Some("c"));
        assert!(is_valid(&k) && k.as_str() > "m");
    }

    proptest! {
        #[test]
        fn repeated_inserts_stay_ordered_and_valid(ops in proptest::collection::vec(0usize..1000, 1..200)) {
            let mut keys: Vec<String> = Vec::new();
            for op in ops {
                let at = op % (keys.len() + 1);
                let lower = at.checked_sub(1).map(|i| keys[i].as_str());
                let upper = keys.get(at).map(String::as_str);
                let k = between(lower, upper);
                prop_assert!(is_valid(&k));
                if let Some(l) = lower { prop_assert!(l < k.as_str()); }
                if let Some(u) = upper { prop_assert!(k.as_str() < u); }
                keys.insert(at, k);
            }
        }
    }
}
