//! Detection order (pure). CC keeps admin buildpack positions 1..N without gaps: putting one at
//! a position moves those at or after it down, removing one closes its gap, and a position past
//! the end means last. Each write plans the whole order afresh from what is stored, so a gap or
//! a tie left by anything else (an interrupted write, `kubectl`) is mended by the next one.

/// One buildpack's place: its GUID and position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub guid: String,
    pub position: i32,
}

impl Slot {
    pub fn new(guid: impl Into<String>, position: i32) -> Self {
        Self {
            guid: guid.into(),
            position,
        }
    }
}

/// GUIDs in detection order: by position, ties by GUID, as the operator orders them.
fn ordered(current: &[Slot]) -> Vec<&str> {
    let mut slots: Vec<&Slot> = current.iter().collect();
    slots.sort_by(|a, b| (a.position, &a.guid).cmp(&(b.position, &b.guid)));
    slots.into_iter().map(|s| s.guid.as_str()).collect()
}

fn numbered(guids: Vec<&str>) -> Vec<Slot> {
    guids
        .into_iter()
        .zip(1..)
        .map(|(guid, position)| Slot::new(guid, position))
        .collect()
}

/// The order once `guid` (new, or already in `current`) is put at `target` (from 1; past the
/// end means last); `None` keeps it where it is, or puts a new one last.
pub fn place(current: &[Slot], guid: &str, target: Option<i32>) -> Vec<Slot> {
    let mut guids = ordered(current);
    let at = guids.iter().position(|g| *g == guid);
    let index = match (target, at) {
        (None, Some(index)) => index,
        (None, None) => guids.len(),
        (Some(target), _) => usize::try_from(target.max(1) - 1).unwrap_or_default(),
    };
    if let Some(at) = at {
        guids.remove(at);
    }
    guids.insert(index.min(guids.len()), guid);
    numbered(guids)
}

/// The order once `guid` is gone.
pub fn remove(current: &[Slot], guid: &str) -> Vec<Slot> {
    let mut guids = ordered(current);
    guids.retain(|g| *g != guid);
    numbered(guids)
}

/// The slots of `planned` whose position differs from (or is absent in) `current`: the writes.
pub fn changes(current: &[Slot], planned: &[Slot]) -> Vec<Slot> {
    planned
        .iter()
        .filter(|p| !current.contains(p))
        .cloned()
        .collect()
}

/// The position after the last one.
pub fn next(current: &[Slot]) -> i32 {
    current.iter().map(|s| s.position).max().unwrap_or(0) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(spec: &[(&str, i32)]) -> Vec<Slot> {
        spec.iter().map(|(g, p)| Slot::new(*g, *p)).collect()
    }

    fn names(planned: &[Slot]) -> Vec<(&str, i32)> {
        planned
            .iter()
            .map(|s| (s.guid.as_str(), s.position))
            .collect()
    }

    /// What a case is, what there is, what is placed where, and the order wanted.
    type Case<'a> = (
        &'a str,
        &'a [Slot],
        &'a str,
        Option<i32>,
        Vec<(&'a str, i32)>,
    );

    #[test]
    fn placing_follows_cc() {
        let abc = slots(&[("a", 1), ("b", 2), ("c", 3)]);
        let cases: Vec<Case> = vec![
            (
                "a new one at 1 moves all down",
                &abc,
                "n",
                Some(1),
                vec![("n", 1), ("a", 2), ("b", 3), ("c", 4)],
            ),
            (
                "a new one in the middle",
                &abc,
                "n",
                Some(2),
                vec![("a", 1), ("n", 2), ("b", 3), ("c", 4)],
            ),
            (
                "a new one past the end is last",
                &abc,
                "n",
                Some(99),
                vec![("a", 1), ("b", 2), ("c", 3), ("n", 4)],
            ),
            (
                "a new one without a position is last",
                &abc,
                "n",
                None,
                vec![("a", 1), ("b", 2), ("c", 3), ("n", 4)],
            ),
            (
                "moving down takes the target's place",
                &abc,
                "a",
                Some(3),
                vec![("b", 1), ("c", 2), ("a", 3)],
            ),
            (
                "moving up",
                &abc,
                "c",
                Some(1),
                vec![("c", 1), ("a", 2), ("b", 3)],
            ),
            (
                "moving past the end is last",
                &abc,
                "a",
                Some(7),
                vec![("b", 1), ("c", 2), ("a", 3)],
            ),
            (
                "no position keeps the place",
                &abc,
                "b",
                None,
                vec![("a", 1), ("b", 2), ("c", 3)],
            ),
            (
                "the first one into an empty list",
                &[],
                "n",
                Some(5),
                vec![("n", 1)],
            ),
        ];
        for (case, current, guid, target, want) in cases {
            assert_eq!(names(&place(current, guid, target)), want, "{case}");
        }
    }

    #[test]
    fn gaps_and_ties_are_mended() {
        let messy = slots(&[("b", 2), ("a", 2), ("c", 9)]);
        assert_eq!(
            names(&place(&messy, "c", None)),
            vec![("a", 1), ("b", 2), ("c", 3)]
        );
        assert_eq!(
            names(&changes(&messy, &place(&messy, "c", None))),
            vec![("a", 1), ("c", 3)]
        );
    }

    #[test]
    fn removing_closes_the_gap() {
        let abc = slots(&[("a", 1), ("b", 2), ("c", 3)]);
        let planned = remove(&abc, "a");
        assert_eq!(names(&planned), vec![("b", 1), ("c", 2)]);
        assert_eq!(names(&changes(&abc, &planned)), vec![("b", 1), ("c", 2)]);
        assert_eq!(names(&remove(&abc, "c")), vec![("a", 1), ("b", 2)]);
        assert!(changes(&abc, &remove(&abc, "c")).is_empty());
    }

    #[test]
    fn next_is_after_the_last() {
        assert_eq!(next(&[]), 1);
        assert_eq!(next(&slots(&[("a", 1), ("b", 4)])), 5);
    }
}
