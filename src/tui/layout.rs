//! Where each panel goes for a terminal of a given size: geometry only,
//! which the views draw into and the state sizes its pages by.

use ratatui::layout::{Constraint, Layout, Rect};

/// Where each panel goes for a terminal of a given size.
pub struct Areas {
    /// The campaign line.
    pub header: Rect,
    /// What the queue shows: whose items, filters, search, marks.
    pub view: Rect,
    pub body: Rect,
    pub queue: Rect,
    pub detail: Rect,
    pub status: Rect,
}

/// Wide terminals put the detail beside the queue; narrow ones below it.
const SIDE_BY_SIDE_WIDTH: u16 = 120;

/// The queue beside the detail is never narrower than a whole 80-column
/// terminal's, so a wider terminal never shows narrower columns.
const QUEUE_MIN_WIDTH: u16 = 80;

/// How much of the width the detail takes beside the queue, in fifths.
const DETAIL_FIFTHS: u16 = 2;

pub fn areas(area: Rect) -> Areas {
    let [header, view, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let (queue, detail) = if body.width >= SIDE_BY_SIDE_WIDTH {
        let detail = (body.width / 5 * DETAIL_FIFTHS).min(body.width - QUEUE_MIN_WIDTH);
        let [q, d] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(detail)]).areas(body);
        (q, d)
    } else {
        let queue_height = (body.height / 2).max(6).min(body.height);
        let [q, d] =
            Layout::vertical([Constraint::Length(queue_height), Constraint::Min(0)]).areas(body);
        (q, d)
    };
    Areas {
        header,
        view,
        body,
        queue,
        detail,
        status,
    }
}

pub fn areas_for(size: (u16, u16)) -> Areas {
    areas(Rect::new(0, 0, size.0, size.1))
}

/// How many item rows the queue shows at this size (inside its border and
/// below its column headings).
pub fn queue_capacity(width: u16, height: u16) -> usize {
    areas_for((width, height)).queue.height.saturating_sub(3) as usize
}

/// Lines of text the detail pane shows at once.
pub fn detail_height(size: (u16, u16)) -> u16 {
    areas_for(size).detail.height.saturating_sub(2)
}

#[cfg(test)]
mod tests {
    use super::areas_for;

    #[test]
    fn a_wider_terminal_never_gives_the_queue_less_room() {
        let mut before = 0;
        for width in 80..=240 {
            let queue = areas_for((width, 40)).queue.width;
            assert!(queue >= before.min(80), "{width}: {queue}");
            assert!(queue >= 80, "{width}: {queue}");
            before = queue;
        }
        // The detail grows with the width beside the queue.
        let [a, b] = [160, 200].map(|w| areas_for((w, 48)).detail.width);
        assert!(b > a && a >= 40, "{a} {b}");
    }
}
