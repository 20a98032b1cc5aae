//! The newest messages that have every word of a query part, found from word postings read
//! newest first (PostgreSQL's `search_postings`), with work that grows with the matches wanted
//! rather than with how many messages have the words.
//!
//! Every word's first page of postings is read, newest first. The word whose pages reach
//! furthest back (the rarest, as far as is known) drives: its entries are the candidates, in
//! order, and each is checked in the other words' lists. Where another list's pages already
//! reach, they answer; below that, the list is either read further (when, at the density seen
//! so far, that is fewer entries than the candidates to check) or asked for just those
//! messages ([`Need::Probe`]). The walk stops at [`CANDIDATES`] matches or when the driver
//! has no more entries. So two common words stop after a few pages, a rare word met once in
//! an old message costs one probe instead of paging a common word through half the history,
//! and two words never seen together cost no more than reading both lists.
//!
//! This is pure: the engine's file reads what [`Walk::needs`] asks for and hands it back.

use std::collections::HashMap;

use super::CANDIDATES;

/// A posting: a message number and how often the word occurs in it.
pub type Posting = (i64, i32);

/// First page read of a word.
const FIRST_PAGE: i64 = CANDIDATES;
/// Longest page read at once.
const MAX_PAGE: i64 = 8_192;
/// Entries read (pages and probes) after which a walk that has found the matches the search
/// will show stops short of [`CANDIDATES`]: it then ranks among fewer of the newest matches, but
/// two words that meet in one message of twenty no longer read thousands of entries for it.
const BUDGET: usize = 3_000;
/// Most candidates checked in one round.
const MAX_PROBE: usize = 1_000;
/// A list is read further rather than probed when that reads at most this many entries per
/// candidate checked: on PostgreSQL a probe (an index descent) costs 2-4 µs, a page entry (the
/// next one in order) 0.2-0.3 µs.
const PAGE_OVER_PROBE: f64 = 10.0;

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
    /// Entries read in pages, newest first.
    read: Vec<Posting>,
    /// No older entries exist.
    ended: bool,
    /// Length of the next page of this list as a driver.
    page: i64,
    /// Messages probed for below the pages, with the word's count where it occurs.
    probed: HashMap<i64, Option<i32>>,
}

impl List {
    /// The oldest message down to which the pages know this list completely.
    fn floor(&self) -> i64 {
        match (self.ended, self.read.last()) {
            (true, _) => i64::MIN,
            (false, Some(&(seq, _))) => seq,
            (false, None) => i64::MAX,
        }
    }

    /// Whether the word occurs in message `seq` (and how often), if known.
    fn lookup(&self, seq: i64) -> Option<Option<i32>> {
        if seq >= self.floor() {
            // Entries are newest first: search on the reversed order.
            let found = self.read.binary_search_by(|&(s, _)| seq.cmp(&s));
            return Some(found.ok().map(|i| self.read[i].1));
        }
        self.probed.get(&seq).copied()
    }

    fn next_below(&self) -> i64 {
        self.read.last().map_or(i64::MAX, |&(s, _)| s)
    }
}

/// One part's search: the newest messages that have all of its words.
#[derive(Debug)]
pub struct Walk {
    lists: Vec<List>,
    /// Matches the search will show at most.
    enough: usize,
    /// Entries read so far, in pages and probes.
    read: usize,
}

/// Where the candidates stand: the matches confirmed newest first (each with the word counts
/// in list order), and the candidates not yet decided, per other list.
struct Progress {
    matches: Vec<(i64, Vec<i32>)>,
    undecided: Vec<(usize, Vec<i64>)>,
    driver: usize,
}

impl Walk {
    /// A walk over `words` lists (at least one), for a search that shows at most `enough`
    /// matches.
    pub fn new(words: usize, enough: usize) -> Self {
        Walk {
            lists: (0..words.max(1))
                .map(|_| List {
                    page: FIRST_PAGE,
                    ..List::default()
                })
                .collect(),
            enough,
            read: 0,
        }
    }

    /// The list whose pages reach furthest back: a list read to its end first, the shortest
    /// of those.
    fn driver(&self) -> usize {
        (0..self.lists.len())
            .min_by_key(|&i| {
                let l = &self.lists[i];
                (l.floor(), l.read.len())
            })
            .expect("a walk has a list")
    }

    /// Decides the driver's candidates newest first, until [`CANDIDATES`] matches or the
    /// first candidate some list cannot answer yet; from there, up to [`MAX_PROBE`]
    /// candidates are collected as undecided for the lists that cannot answer them.
    fn progress(&self) -> Progress {
        let driver = self.driver();
        let mut matches = Vec::new();
        let mut undecided: Vec<(usize, Vec<i64>)> = Vec::new();
        let mut pending = 0;
        for &(seq, tf) in &self.lists[driver].read {
            if matches.len() >= CANDIDATES as usize || pending >= MAX_PROBE {
                break;
            }
            let mut tfs = Vec::with_capacity(self.lists.len());
            let mut unknown = Vec::new();
            let mut absent = false;
            for (i, list) in self.lists.iter().enumerate() {
                if i == driver {
                    tfs.push(tf);
                    continue;
                }
                match list.lookup(seq) {
                    Some(Some(n)) => tfs.push(n),
                    Some(None) => absent = true,
                    None => unknown.push(i),
                }
            }
            if absent {
                continue;
            }
            if unknown.is_empty() {
                if pending == 0 {
                    matches.push((seq, tfs));
                }
                continue;
            }
            pending += 1;
            for i in unknown {
                match undecided.iter_mut().find(|(l, _)| *l == i) {
                    Some((_, seqs)) => seqs.push(seq),
                    None => undecided.push((i, vec![seq])),
                }
            }
        }
        Progress {
            matches,
            undecided,
            driver,
        }
    }

    /// Entries per message number that list `list` has shown so far.
    fn density(&self, list: usize) -> f64 {
        let newest = self
            .lists
            .iter()
            .filter_map(|l| l.read.first().map(|&(s, _)| s))
            .max()
            .unwrap_or(0);
        let l = &self.lists[list];
        let reached = l.read.last().map_or(newest, |&(s, _)| s);
        (l.read.len() as f64 + 1.0) / ((newest - reached) as f64 + 1.0)
    }

    /// What to read next; empty when the walk is over.
    pub fn needs(&self) -> Vec<Need> {
        let unread: Vec<Need> = (0..self.lists.len())
            .filter(|&i| self.lists[i].read.is_empty() && !self.lists[i].ended)
            .map(|list| Need::Page {
                list,
                below: i64::MAX,
                limit: FIRST_PAGE,
            })
            .collect();
        if !unread.is_empty() {
            return unread;
        }
        let progress = self.progress();
        let found = progress.matches.len();
        if found >= CANDIDATES as usize || (found >= self.enough && self.read >= BUDGET) {
            return Vec::new();
        }
        if progress.undecided.is_empty() {
            let driver = &self.lists[progress.driver];
            if driver.ended {
                return Vec::new();
            }
            return vec![Need::Page {
                list: progress.driver,
                below: driver.next_below(),
                limit: driver.page,
            }];
        }
        progress
            .undecided
            .into_iter()
            .map(|(list, seqs)| {
                let l = &self.lists[list];
                let oldest = *seqs.last().expect("undecided candidates");
                // Entries of this list down to the oldest candidate, at the density seen.
                let span = (l.floor() - oldest) as f64;
                let expected = self.density(list) * span;
                if expected <= PAGE_OVER_PROBE * seqs.len() as f64 {
                    // At least the list's own growing page, so that two lists of one
                    // density read in long pages, not a round trip per few entries.
                    Need::Page {
                        list,
                        below: l.next_below(),
                        limit: ((expected * 1.25) as i64 + 16).max(l.page).min(MAX_PAGE),
                    }
                } else {
                    Need::Probe { list, seqs }
                }
            })
            .collect()
    }

    /// Takes the answer to a [`Need::Page`]: postings newest first.
    pub fn add_page(&mut self, list: usize, page: Vec<Posting>, asked: i64) {
        self.read += page.len();
        let l = &mut self.lists[list];
        l.ended = (page.len() as i64) < asked;
        l.read.extend(page);
        l.page = (l.page * 2).min(MAX_PAGE);
        // What the pages now answer needs no probe.
        let floor = l.floor();
        l.probed.retain(|&seq, _| seq < floor);
    }

    /// Takes the answer to a [`Need::Probe`]: the list's postings among the messages asked for.
    pub fn add_probe(&mut self, list: usize, asked: &[i64], found: Vec<Posting>) {
        self.read += asked.len();
        let l = &mut self.lists[list];
        for &seq in asked {
            l.probed.insert(seq, None);
        }
        for (seq, tf) in found {
            l.probed.insert(seq, Some(tf));
        }
    }

    /// The newest [`CANDIDATES`] messages with every word, newest first, each with the word
    /// counts in list order. Call when [`Walk::needs`] is empty.
    pub fn result(&self) -> Vec<(i64, Vec<i32>)> {
        self.progress().matches
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a walk against lists of message numbers (each newest first), counting the entries
    /// read.
    fn run(lists: &[Vec<i64>]) -> (Vec<i64>, usize) {
        let (found, read, _) = run_counting_rounds(lists);
        (found, read)
    }

    fn run_counting_rounds(lists: &[Vec<i64>]) -> (Vec<i64>, usize, usize) {
        run_showing(lists, CANDIDATES as usize)
    }

    /// A walk for a search that shows `enough` matches.
    fn run_showing(lists: &[Vec<i64>], enough: usize) -> (Vec<i64>, usize, usize) {
        let mut walk = Walk::new(lists.len(), enough);
        let (mut read, mut rounds) = (0, 0);
        loop {
            rounds += 1;
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
                        let wanted: std::collections::HashSet<i64> = seqs.iter().copied().collect();
                        let found: Vec<Posting> = lists[list]
                            .iter()
                            .filter(|s| wanted.contains(s))
                            .map(|&s| (s, 2))
                            .collect();
                        read += seqs.len();
                        walk.add_probe(list, &seqs, found);
                    }
                }
            }
        }
        let found = walk.result().into_iter().map(|(s, _)| s).collect();
        (found, read, rounds)
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
    fn a_mid_frequency_word_drives_a_common_one() {
        let lists = vec![newest_first(0, 100_000, 2), newest_first(0, 100_000, 97)];
        let (found, read) = run(&lists);
        assert_eq!(found, expected(&lists));
        // The mid word's 1,031 entries and a check of each, not the common word's 50,000.
        assert!(read < 3_000, "read {read}");
    }

    #[test]
    fn a_search_that_shows_ten_stops_at_the_budget_with_the_newest_matches() {
        // Two words together in one message of 40 (every fifth message and one in eight):
        // the newest 300 together would read about 3,900 entries.
        let one_in_eight: Vec<i64> = (0..40_000).rev().filter(|s| s % 8 == 1).collect();
        let lists = vec![newest_first(0, 40_000, 5), one_in_eight];
        let (found, read, _) = run_showing(&lists, 10);
        let all = expected(&lists);
        assert!(
            found.len() >= 10 && found.len() < all.len(),
            "{} found",
            found.len()
        );
        assert_eq!(found, all[..found.len()], "the newest matches, in order");
        assert!(read < 2 * BUDGET, "read {read}");
        // Fewer matches than the search shows: read on to the end.
        let lists = vec![newest_first(0, 20_000, 2), vec![19_000, 3]];
        assert_eq!(run_showing(&lists, 10).0, vec![19_000]);
    }

    #[test]
    fn random_lists_find_what_a_full_read_finds() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..60 {
            let words = 1 + (round % 3);
            let lists: Vec<Vec<i64>> = (0..words)
                .map(|_| {
                    let per_mille = [500, 200, 30, 5, 1][(next() % 5) as usize];
                    (0..40_000)
                        .rev()
                        .filter(|_| next() % 1_000 < per_mille)
                        .collect()
                })
                .collect();
            assert_eq!(run(&lists).0, expected(&lists), "round {round}");
        }
    }

    #[test]
    fn words_never_together_end_with_nothing() {
        let odd: Vec<i64> = (1..20_000).rev().filter(|s| s % 2 == 1).collect();
        let lists = vec![newest_first(0, 20_000, 2), odd];
        let (found, read, rounds) = run_counting_rounds(&lists);
        assert!(found.is_empty());
        // At worst both lists, read once, in pages that grow (each round is a round trip).
        assert!(read <= 20_000, "read {read}");
        assert!(rounds <= 20, "{rounds} rounds");
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
        let mut walk = Walk::new(2, 10);
        walk.add_page(0, vec![(9, 3), (5, 1)], 300);
        walk.add_page(1, vec![(9, 2)], 300);
        assert!(walk.needs().is_empty());
        assert_eq!(walk.result(), vec![(9, vec![3, 2])]);
    }
}
