//! What a key press means, independent of which key it was. One action may
//! be bound in several modes (Esc cancels a dialog and closes a panel);
//! what it does there is `update`'s business.

macro_rules! actions {
    ($($(#[$meta:meta])* $name:ident,)+) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Action {
            $($(#[$meta])* $name,)+
        }

        impl Action {
            /// Every action, so that tests can prove each one has a key.
            pub const ALL: &'static [Action] = &[$(Action::$name,)+];
        }
    };
}

actions!(
    Down,
    Up,
    PageDown,
    PageUp,
    First,
    Last,
    /// The next or previous undecided item of the view.
    NextUndecided,
    PreviousUndecided,
    /// Type an item's id to go to it.
    GoTo,
    ScrollDetailDown,
    ScrollDetailUp,
    Attest,
    Revoke,
    Exception,
    Reassign,
    /// Keep the access, with its credential to rotate by a date.
    Rotate,
    Undo,
    /// Undo the acting person's last action in this console.
    UndoLast,
    ToggleMark,
    MarkAll,
    ClearMarks,
    Search,
    Filters,
    ClearFilters,
    /// The reviewer's own items, or every item of the campaign.
    ToggleScope,
    /// The person view: the items in view grouped by identity.
    People,
    /// From one person's grants back to the person view.
    Back,
    Dashboard,
    /// Open the sign-off screen (the campaign's owner or a sponsor).
    SignOff,
    /// Open the close screen of a signed-off campaign.
    CloseCampaign,
    /// The revocations and whether later snapshots show them gone.
    Remediation,
    Reload,
    Help,
    Quit,
    /// Give the terminal back to the shell until `fg` (Ctrl+Z).
    Suspend,
    /// Record the decision being edited.
    Save,
    Cancel,
    /// Throw away what was typed in a dialog (asked first).
    Discard,
    NextField,
    PreviousField,
    /// A new line in a note; the next field in a one-line field.
    Enter,
    Yes,
    No,
    /// Choose or unchoose a value in the filter panel.
    Choose,
    /// Keep the search or the chosen filters.
    Apply,
    Close,
);
