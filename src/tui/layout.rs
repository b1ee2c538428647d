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

pub fn areas(area: Rect) -> Areas {
    let [header, view, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let (queue, detail) = if body.width >= SIDE_BY_SIDE_WIDTH {
        let [q, d] = Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
            .areas(body);
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
