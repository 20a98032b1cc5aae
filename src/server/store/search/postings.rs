//! The newest messages that have every word of a query part, found from word postings read
//! newest first (PostgreSQL's `search_postings`), with work that grows with the matches wanted
//! rather than with how many messages have the words.
//!
//! Each word's postings are read in pages, newest first. Above the newest "floor" (the oldest
//! entry read of a list not yet read to its end) every list is known completely, so the
//! messages found there in all lists are exactly the newest matches. The list that holds the
//! floor up reads its next page, twice as long as its last, until [`CANDIDATES`] matches are
//! known or a list read to its end has nothing older left. When a list ends with only a few
//! entries below the floor, those few are the only possible matches: the other lists are
//! asked for just those messages ([`Need::Probe`]) instead of paging down to them (a rare word
//! met once in an old message would otherwise page a common word through half the history).
//!
//! This is pure: the engine's file reads what [`Walk::needs`] asks for and hands it back.

use super::CANDIDATES;

/// A posting: a message number and how often the word occurs in it.
pub type Posting = (i64, i32);

/// First page read of a word.
const FIRST_PAGE: i64 = CANDIDATES;
/// Longest page read at once.
const MAX_PAGE: i64 = 8_192;
/// A list that ended with at most this many entries below the floor is probed for, not paged to.
const MAX_PROBE: usize = 1_000;

/// A read the walk needs next.
#[derive(Debug, Clone, PartialEq)]
pub enum Need {
    /// Up to `limit` postings of list `list`'s word older than `below`, newest first.
    Page { list: usize, below: i64, limit: i64 },
    /// The postings of list `list`'s word in exactly these messages.
    Probe { list: usize, seqs: Vec<i64> },
}

#[derive(Debug, Default)]
struct List {
    /// Entries read, newest first.
    read: Vec<Posting>,
    /// No older entries exist.
    ended: bool,
    /// Length of the next page.
    page: i64,
}

impl List {
    /// The oldest message down to which this list is known completely.
    fn floor(&self) -> i64 {
        match (self.ended, self.read.last()) {
            (true, _) => i64::MIN,
            (false, Some(&(seq, _))) => seq,
            (false, None) => i64::MAX,
        }
    }

    fn tf_of(&self, seq: i64) -> Option<i32> {
        // Entries are newest first: search on the reversed order.
        self.read
            .binary_search_by(|&(s, _)| seq.cmp(&s))
            .ok()
            .map(|i| self.read[i].1)
    }
}

/// One part's search: the messages that have all of its words.
#[derive(Debug)]
pub struct Walk {
    lists: Vec<List>,
    /// The messages asked for by a probe and the lists answered so far; once every other list
    /// has answered, the walk is over.
    probe: Option<(Vec<i64>, Vec<usize>)>,
}

impl Walk {
    /// A walk over `words` lists (at least one).
    pub fn new(words: usize) -> Self {
        Walk {
            lists: (0..words.max(1))
                .map(|_| List {
                    page: FIRST_PAGE,
                    ..List::default()
                })
                .collect(),
            probe: None,
        }
    }

    /// The floor above which every list is known completely.
    fn floor(&self) -> i64 {
        self.lists.iter().map(List::floor).max().unwrap_or(i64::MIN)
    }

    /// Messages at or above `floor` that every list has, newest first, each with the word
    /// counts in list order.
    fn matches_above(&self, floor: i64) -> Vec<(i64, Vec<i32>)> {
        let shortest = self
            .lists
            .iter()
            .min_by_key(|l| l.read.len())
            .expect("a walk has a list");
        shortest
            .read
            .iter()
            .take_while(|&&(seq, _)| seq >= floor)
            .filter_map(|&(seq, _)| {
                let tfs: Option<Vec<i32>> = self.lists.iter().map(|l| l.tf_of(seq)).collect();
                tfs.map(|t| (seq, t))
            })
            .collect()
    }

    /// The entries of an ended list below the floor, when few enough to probe for.
    fn probe_candidates(&self, floor: i64) -> Option<(usize, Vec<i64>)> {
        self.lists
            .iter()
            .enumerate()
            .filter(|(_, l)| l.ended)
            .map(|(i, l)| {
                let below: Vec<i64> = l
                    .read
                    .iter()
                    .map(|&(s, _)| s)
                    .filter(|&s| s < floor)
                    .collect();
                (i, below)
            })
            .min_by_key(|(_, below)| below.len())
            .filter(|(_, below)| below.len() <= MAX_PROBE)
    }

    /// What to read next; empty when the walk is over.
    pub fn needs(&self) -> Vec<Need> {
        if let Some((seqs, answered)) = &self.probe {
            return (0..self.lists.len())
                .filter(|i| !answered.contains(i))
                .map(|list| Need::Probe {
                    list,
                    seqs: seqs.clone(),
                })
                .collect();
        }
        let floor = self.floor();
        if floor == i64::MIN || self.matches_above(floor).len() >= CANDIDATES as usize {
            return Vec::new();
        }
        // A list read to its end with nothing below the floor: no match is left to find.
        if self
            .lists
            .iter()
            .any(|l| l.ended && l.read.last().is_none_or(|&(s, _)| s >= floor))
        {
            return Vec::new();
        }
        self.lists
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.ended && l.floor() == floor)
            .map(|(list, l)| Need::Page {
                list,
                below: l.read.last().map_or(i64::MAX, |&(s, _)| s),
                limit: l.page,
            })
            .collect()
    }

    /// Takes the answer to a [`Need::Page`]: postings newest first.
    pub fn add_page(&mut self, list: usize, page: Vec<Posting>, asked: i64) {
        let l = &mut self.lists[list];
        l.ended = (page.len() as i64) < asked;
        l.read.extend(page);
        l.page = (asked * 2).min(MAX_PAGE);
        if self.lists.len() > 1 {
            self.start_probe_if_few();
        }
    }

    /// Once a list has ended with few entries below the floor, those are the only candidates
    /// left: every other list is asked for them alone.
    fn start_probe_if_few(&mut self) {
        let floor = self.floor();
        // A list not read yet (floor `MAX`) may hold no match at all: read it first.
        if floor == i64::MIN || floor == i64::MAX || self.probe.is_some() {
            return;
        }
        if self.matches_above(floor).len() >= CANDIDATES as usize {
            return;
        }
        if let Some((driver, seqs)) = self.probe_candidates(floor) {
            if !seqs.is_empty() {
                self.probe = Some((seqs, vec![driver]));
            }
        }
    }

    /// Takes the answer to a [`Need::Probe`]: the list's postings among the messages asked for.
    pub fn add_probe(&mut self, list: usize, found: Vec<Posting>) {
        let l = &mut self.lists[list];
        let floor = l.floor();
        // Probed entries are all older than what the list had read.
        l.read.extend(found.into_iter().filter(|&(s, _)| s < floor));
        l.read.sort_unstable_by(|a, b| b.0.cmp(&a.0));
        l.read.dedup_by_key(|p| p.0);
        if let Some((_, answered)) = &mut self.probe {
            answered.push(list);
        }
    }

    /// The newest [`CANDIDATES`] messages with every word, newest first, each with the word
    /// counts in list order. Call when [`Walk::needs`] is empty.
    pub fn result(&self) -> Vec<(i64, Vec<i32>)> {
        let floor = match &self.probe {
            // Every list knows the probed messages: the ended one read them, the rest answered.
            Some((seqs, _)) => seqs.iter().copied().min().unwrap_or(i64::MIN),
            None => self.floor(),
        };
        let mut found = self.matches_above(floor);
        found.truncate(CANDIDATES as usize);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a walk against lists of message numbers (each newest first), counting the entries
    /// read.
    fn run(lists: &[Vec<i64>]) -> (Vec<i64>, usize) {
        let mut walk = Walk::new(lists.len());
        let mut read = 0;
        loop {
            let needs = walk.needs();
            if needs.is_empty() {
                break;
            }
            for need in needs {
                match need {
                    Need::Page { list, below, limit } => {
                        let page: Vec<Posting> = lists[list]
                            .iter()
                            .filter(|&&s| s < below)
                            .take(limit as usize)
                            .map(|&s| (s, 1))
                            .collect();
                        read += page.len();
                        walk.add_page(list, page, limit);
                    }
                    Need::Probe { list, seqs } => {
                        let wanted: std::collections::HashSet<i64> =
                            seqs.iter().copied().collect();
                        let found: Vec<Posting> = lists[list]
                            .iter()
                            .filter(|s| wanted.contains(s))
                            .map(|&s| (s, 2))
                            .collect();
                        read += seqs.len();
                        walk.add_probe(list, found);
                    }
                }
            }
        }
        (walk.result().into_iter().map(|(s, _)| s).collect(), read)
    }

    /// The multiples of `step` in `from..to`, newest first.
    fn newest_first(from: i64, to: i64, step: i64) -> Vec<i64> {
        (from..to).rev().filter(|s| s % step == 0).collect()
    }

    /// The answer a full read would give.
    fn expected(lists: &[Vec<i64>]) -> Vec<i64> {
        let sets: Vec<std::collections::HashSet<i64>> =
            lists.iter().map(|l| l.iter().copied().collect()).collect();
        let mut all: Vec<i64> = lists[0]
            .iter()
            .copied()
            .filter(|s| sets.iter().all(|l| l.contains(s)))
            .collect();
        all.sort_unstable_by(|a, b| b.cmp(a));
        all.truncate(CANDIDATES as usize);
        all
    }

    #[test]
    fn one_word_reads_one_page() {
        let common = newest_first(0, 100_000, 2);
        let (found, read) = run(std::slice::from_ref(&common));
        assert_eq!(found, expected(&[common]));
        assert_eq!(read, CANDIDATES as usize);
        let rare = vec![90, 50, 3];
        assert_eq!(run(std::slice::from_ref(&rare)).0, rare);
    }

    #[test]
    fn common_words_stop_at_the_newest_matches() {
        let lists = vec![newest_first(0, 100_000, 2), newest_first(0, 100_000, 3)];
        let (found, read) = run(&lists);
        assert_eq!(found, expected(&lists));
        assert!(read < 5_000, "read {read}");
    }

    #[test]
    fn an_old_rare_word_is_probed_for_not_paged_to() {
        let common = newest_first(0, 100_000, 2);
        let rare = vec![99_998, 51_000, 1_000, 999];
        let lists = vec![common, rare];
        let (found, read) = run(&lists);
        assert_eq!(found, vec![99_998, 51_000, 1_000]);
        assert!(read < 1_000, "read {read}");
    }

    #[test]
    fn words_never_together_end_with_nothing() {
        let odd: Vec<i64> = (1..20_000).rev().filter(|s| s % 2 == 1).collect();
        let lists = vec![newest_first(0, 20_000, 2), odd];
        let (found, _) = run(&lists);
        assert!(found.is_empty());
    }

    #[test]
    fn three_words_of_every_frequency_find_what_a_full_read_finds() {
        for (a, b, c) in [(2, 3, 5), (2, 7, 1_000), (50, 3, 2), (1, 1, 1), (997, 2, 3)] {
            let lists = vec![
                newest_first(0, 60_000, a),
                newest_first(0, 60_000, b),
                newest_first(0, 60_000, c),
            ];
            assert_eq!(run(&lists).0, expected(&lists), "steps {a} {b} {c}");
        }
    }

    #[test]
    fn word_counts_come_back_in_list_order() {
        let mut walk = Walk::new(2);
        walk.add_page(0, vec![(9, 3), (5, 1)], 300);
        walk.add_page(1, vec![(9, 2)], 300);
        assert!(walk.needs().is_empty());
        assert_eq!(walk.result(), vec![(9, vec![3, 2])]);
    }
}
