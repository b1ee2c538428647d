//! What a key press means, independent of which key it was.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Down,
    Up,
    PageDown,
    PageUp,
    First,
    Last,
    Attest,
    Revoke,
    Quit,
    SaveNote,
    CancelNote,
}
