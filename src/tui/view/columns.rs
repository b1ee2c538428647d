//! How wide each queue column is: what the rows on screen hold, within
//! the room there is. Identity and entitlement get room first (they tell
//! one row from the next), then system, then tenant; a column never takes
//! more than its widest cell, so a wider terminal never cuts more.

use unicode_width::UnicodeWidthStr;

/// A text column: its heading, and the widest cell it has to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Want {
    pub natural: u16,
    /// The least it gets while any room is left.
    pub least: u16,
    /// Which columns get room first: lower first.
    pub tier: u8,
}

impl Want {
    pub fn new<'a>(heading: &str, cells: impl Iterator<Item = &'a str>, tier: u8) -> Want {
        let widest = cells.map(width).max().unwrap_or(0).max(width(heading));
        Want {
            natural: widest,
            least: widest.min(6),
            tier,
        }
    }
}

/// The display width of `text` in cells.
pub fn width(text: &str) -> u16 {
    u16::try_from(UnicodeWidthStr::width(text)).unwrap_or(u16::MAX)
}

/// Widths for `wants` in `room` cells: each its least first (as far as
/// the room goes), then the room left raised evenly within each tier in
/// turn, no column past its natural width.
pub fn share(room: u16, wants: &[Want]) -> Vec<u16> {
    let mut widths = vec![0u16; wants.len()];
    let mut left = room;
    for (w, want) in widths.iter_mut().zip(wants) {
        *w = want.least.min(left);
        left -= *w;
    }
    let mut tiers: Vec<u8> = wants.iter().map(|w| w.tier).collect();
    tiers.sort_unstable();
    tiers.dedup();
    for tier in tiers {
        // One cell at a time to each column of the tier still short of its
        // natural width: even, and exact in what it hands out.
        loop {
            let mut gave = false;
            for (w, want) in widths.iter_mut().zip(wants) {
                if want.tier == tier && *w < want.natural && left > 0 {
                    *w += 1;
                    left -= 1;
                    gave = true;
                }
            }
            if !gave {
                break;
            }
        }
    }
    widths
}

/// `text` cut to `cells` display cells, ending in "…" when it was cut.
pub fn cut(text: &str, cells: u16) -> String {
    if width(text) <= cells {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0u16;
    for c in text.chars() {
        let w = width(c.encode_utf8(&mut [0; 4]));
        if used + w + 1 > cells {
            break;
        }
        out.push(c);
        used += w;
    }
    if cells > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want(natural: u16, tier: u8) -> Want {
        Want {
            natural,
            least: natural.min(6),
            tier,
        }
    }

    #[test]
    fn identity_and_entitlement_get_room_before_system() {
        // identity, system, entitlement
        let wants = [want(30, 0), want(10, 1), want(30, 0)];
        assert_eq!(share(40, &wants), [17, 6, 17]);
        assert_eq!(share(80, &wants), [30, 10, 30]);
        assert_eq!(share(66, &wants), [30, 6, 30]);
        assert_eq!(share(68, &wants), [30, 8, 30]);
    }

    #[test]
    fn a_column_never_takes_more_than_its_widest_cell() {
        let wants = [want(8, 0), want(4, 1)];
        assert_eq!(share(200, &wants), [8, 4]);
        assert_eq!(share(3, &wants), [3, 0]);
    }

    #[test]
    fn more_room_never_makes_a_column_narrower() {
        let wants = [want(25, 0), want(12, 1), want(40, 0), want(9, 2)];
        let mut before = share(0, &wants);
        for room in 1..120 {
            let now = share(room, &wants);
            assert!(now.iter().zip(&before).all(|(a, b)| a >= b), "{room}");
            assert!(now.iter().sum::<u16>() <= room);
            before = now;
        }
    }

    #[test]
    fn a_cut_cell_ends_in_an_ellipsis() {
        assert_eq!(cut("Global Administrator", 10), "Global Ad…");
        assert_eq!(cut("Global", 10), "Global");
        assert_eq!(cut("Global", 6), "Global");
        assert_eq!(cut("Globals", 6), "Globa…");
        assert_eq!(cut("日本語テキスト", 5), "日本…");
        assert_eq!(width(&cut("日本語テキスト", 6)), 5);
    }
}
