//! A map from every address to a group, built from nested blocks.
//!
//! rbldnsd keeps an ip4set as four arrays of /32, /24, /16 and /8 keys and
//! the tries as bit tries; in both the most specific block that holds an
//! address decides its answer, and an exclusion there means "not listed".
//! Blocks of one dataset are always nested or disjoint (aligned octets,
//! CIDRs), so they flatten into sorted, disjoint intervals: one binary search
//! answers any address, and nothing is allocated on the way.

/// An address type: IPv4 (`u32`) or IPv6 (`u128`).
pub(crate) trait Key: Copy + Ord + Default + std::fmt::Debug {
    /// The next address, or `None` after the last one.
    fn next(self) -> Option<Self>;
    /// Which of the 65,536 buckets of the lookup index holds the address
    /// (its top 16 bits).
    fn bucket(self) -> usize;
}

impl Key for u32 {
    fn next(self) -> Option<u32> {
        self.checked_add(1)
    }
    fn bucket(self) -> usize {
        (self >> 16) as usize
    }
}

impl Key for u128 {
    fn next(self) -> Option<u128> {
        self.checked_add(1)
    }
    fn bucket(self) -> usize {
        (self >> 112) as usize
    }
}

/// A block of addresses with the group it gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Block<K> {
    /// The first address.
    pub first: K,
    /// The last address.
    pub last: K,
    /// Which of two blocks with the same extent is inside the other: the
    /// deeper (an ip4set's /32 level is deeper than its /24 level).
    pub depth: u8,
    /// The group (`UNLISTED` for an exclusion).
    pub group: u32,
}

impl<K> Block<K> {
    /// A block with depth 0.
    pub(crate) fn new(first: K, last: K, group: u32) -> Block<K> {
        Block {
            first,
            last,
            depth: 0,
            group,
        }
    }
}

/// The group meaning "not listed" (a gap or an exclusion).
pub(crate) const UNLISTED: u32 = 0;

const BUCKETS: usize = 1 << 16;

/// Sorted disjoint intervals covering the whole address space, each with a
/// group; `UNLISTED` where nothing is listed.
#[derive(Debug, Default)]
pub(crate) struct IntervalMap<K> {
    /// Interval starts, strictly increasing; the first is 0.
    starts: Vec<K>,
    /// The group of each interval.
    groups: Vec<u32>,
    /// For each bucket, the index of the first interval starting in it or
    /// later (plus one final entry): narrows the binary search.
    index: Vec<u32>,
}

impl<K: Key> IntervalMap<K> {
    /// Builds the map from blocks that are nested or disjoint; the innermost
    /// block holding an address gives its group. Of two blocks with the same
    /// extent the deeper one is the inner one (no two blocks are alike in
    /// extent and depth).
    pub(crate) fn from_blocks(mut blocks: Vec<Block<K>>) -> IntervalMap<K> {
        blocks.sort_unstable_by(|x, y| {
            x.first
                .cmp(&y.first)
                .then(y.last.cmp(&x.last))
                .then(x.depth.cmp(&y.depth))
        });
        let mut map = IntervalMap {
            starts: vec![K::default()],
            groups: vec![UNLISTED],
            index: Vec::new(),
        };
        // Blocks that contain the current position, outermost first.
        let mut open: Vec<(K, u32)> = Vec::new();
        for block in blocks {
            map.close_before(&mut open, Some(block.first));
            map.emit(block.first, block.group);
            open.push((block.last, block.group));
        }
        map.close_before(&mut open, None);
        map.starts.shrink_to_fit();
        map.groups.shrink_to_fit();
        map.build_index();
        map
    }

    /// Closes the open blocks that end before `until` (all when `None`).
    fn close_before(&mut self, open: &mut Vec<(K, u32)>, until: Option<K>) {
        while let Some(&(last, _)) = open.last() {
            if until.is_some_and(|u| last >= u) {
                break;
            }
            open.pop();
            if let Some(after) = last.next() {
                self.emit(after, open.last().map_or(UNLISTED, |o| o.1));
            }
        }
    }

    /// Starts an interval at `at` with `group`, merging equal neighbours.
    fn emit(&mut self, at: K, group: u32) {
        let n = self.starts.len();
        if self.starts[n - 1] == at {
            self.groups[n - 1] = group;
            if n >= 2 && self.groups[n - 2] == group {
                self.starts.pop();
                self.groups.pop();
            }
        } else if self.groups[n - 1] != group {
            self.starts.push(at);
            self.groups.push(group);
        }
    }

    fn build_index(&mut self) {
        let mut index = Vec::with_capacity(BUCKETS + 1);
        let mut i = 0usize;
        for bucket in 0..BUCKETS {
            while i < self.starts.len() && self.starts[i].bucket() < bucket {
                i += 1;
            }
            index.push(i as u32);
        }
        index.push(self.starts.len() as u32);
        self.index = index;
    }

    /// The group of `key` (`UNLISTED` when nothing lists it).
    #[inline]
    pub(crate) fn get(&self, key: K) -> u32 {
        let b = key.bucket();
        let lo = self.index[b] as usize;
        let hi = self.index[b + 1] as usize;
        let i = lo + self.starts[lo..hi].partition_point(|&s| s <= key);
        // starts[0] is 0, so the interval holding `key` starts at i - 1 >= 0.
        self.groups[i.saturating_sub(1)]
    }

    /// The number of intervals (listed and not).
    pub(crate) fn len(&self) -> usize {
        self.starts.len()
    }

    /// Heap bytes used.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.starts.capacity() * std::mem::size_of::<K>()
            + (self.groups.capacity() + self.index.capacity()) * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The innermost (shortest) block holding `key`, by a linear scan.
    fn naive(blocks: &[(u32, u32, u32)], key: u32) -> u32 {
        blocks
            .iter()
            .filter(|b| b.0 <= key && key <= b.1)
            .min_by_key(|b| b.1 - b.0)
            .map_or(UNLISTED, |b| b.2)
    }

    fn cidr(addr: u32, bits: u32) -> (u32, u32) {
        let mask = if bits == 0 {
            0
        } else {
            u32::MAX << (32 - bits)
        };
        (addr & mask, (addr & mask) | !mask)
    }

    #[test]
    fn nested_blocks_and_edges() {
        let blocks = vec![
            (0x0a00_0000, 0x0aff_ffff, 1),
            (0x0a01_0000, 0x0a01_ffff, UNLISTED),
            (0x0a01_0200, 0x0a01_02ff, 2),
            (0xffff_ff00, 0xffff_ffff, 3),
        ];
        let map =
            IntervalMap::from_blocks(blocks.iter().map(|b| Block::new(b.0, b.1, b.2)).collect());
        for key in [
            0,
            0x09ff_ffff,
            0x0a00_0000,
            0x0a00_ffff,
            0x0a01_0000,
            0x0a01_01ff,
            0x0a01_0200,
            0x0a01_02ff,
            0x0a01_0300,
            0x0aff_ffff,
            0x0b00_0000,
            0xffff_feff,
            0xffff_ff00,
            u32::MAX,
        ] {
            assert_eq!(map.get(key), naive(&blocks, key), "{key:#x}");
        }
    }

    #[test]
    fn of_equal_extents_the_deeper_is_inside() {
        let block = |first, last, depth, group| Block {
            first,
            last,
            depth,
            group,
        };
        for blocks in [
            vec![
                block(10u32, 20, 1, 5),
                block(10, 20, 0, 6),
                block(0, 30, 0, 7),
            ],
            vec![
                block(0u32, 30, 0, 7),
                block(10, 20, 0, 6),
                block(10, 20, 1, 5),
            ],
        ] {
            let map = IntervalMap::from_blocks(blocks);
            let got: Vec<u32> = [9, 10, 20, 21, 31].iter().map(|&k| map.get(k)).collect();
            assert_eq!(got, [7, 5, 5, 7, UNLISTED]);
        }
    }

    #[test]
    fn adjacent_equal_intervals_merge() {
        let blocks = (0..1000u32).map(|i| Block::new(i, i, 7)).collect();
        let map = IntervalMap::from_blocks(blocks);
        assert_eq!(map.len(), 2, "0..=999: 7, 1000..: unlisted");
    }

    proptest! {
        #[test]
        fn answers_like_a_linear_scan(
            cidrs in proptest::collection::vec((any::<u32>(), 0u32..=32, 0u32..4), 0..60),
            probes in proptest::collection::vec(any::<u32>(), 0..200),
        ) {
            // Distinct CIDRs (the first of equal ones wins), nested or disjoint by construction.
            let mut seen = std::collections::HashSet::new();
            let blocks: Vec<(u32, u32, u32)> = cidrs
                .iter()
                .map(|&(a, bits, g)| { let (f, l) = cidr(a, bits); (f, l, g) })
                .filter(|b| seen.insert((b.0, b.1)))
                .collect();
            let map = IntervalMap::from_blocks(blocks.iter().map(|b| Block::new(b.0, b.1, b.2)).collect());
            let edges = blocks.iter().flat_map(|b| [b.0.wrapping_sub(1), b.0, b.1, b.1.wrapping_add(1)]);
            for key in probes.into_iter().chain(edges) {
                prop_assert_eq!(map.get(key), naive(&blocks, key), "key {:#x}", key);
            }
        }
    }
}
