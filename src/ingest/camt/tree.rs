//! An element kept whole (an entry, an account) as a tree held in one list.
//!
//! Each element is written once, where it opens, and linked to its parent by position: no
//! element is moved or copied as the tree grows, and a list can be cleared and filled again
//! for the next entry without new memory. A million entries of twenty-odd elements each made
//! moving nested elements about the largest cost of reading a statement.

use std::borrow::Cow;

/// No element: the end of a list of children.
const NONE: u32 = u32::MAX;

/// The elements of one kept element and everything in it; the first is the root.
#[derive(Debug, Default)]
pub(super) struct Tree<'a> {
    slots: Vec<Slot<'a>>,
}

#[derive(Debug)]
struct Slot<'a> {
    /// The local name, borrowed from the document when it can be.
    name: Cow<'a, str>,
    /// The `Ccy` attribute of an amount, trimmed.
    ccy: Option<Cow<'a, str>>,
    text: Cow<'a, str>,
    first: u32,
    last: u32,
    next: u32,
}

/// What an element out of range reads as: nothing (never met; positions come from the tree).
static EMPTY: Slot<'static> = Slot {
    name: Cow::Borrowed(""),
    ccy: None,
    text: Cow::Borrowed(""),
    first: NONE,
    last: NONE,
    next: NONE,
};

impl<'a> Tree<'a> {
    pub(super) fn clear(&mut self) {
        self.slots.clear();
    }

    pub(super) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Adds an element as the last child of `parent` (or as the root); returns its position.
    pub(super) fn open(
        &mut self,
        parent: Option<u32>,
        name: Cow<'a, str>,
        ccy: Option<Cow<'a, str>>,
    ) -> u32 {
        let at = u32::try_from(self.slots.len()).unwrap_or(NONE);
        self.slots.push(Slot {
            name,
            ccy,
            text: Cow::Borrowed(""),
            first: NONE,
            last: NONE,
            next: NONE,
        });
        if let Some(parent) = parent {
            let previous = self.slots.get(parent as usize).map_or(NONE, |p| p.last);
            if let Some(sibling) = self.slots.get_mut(previous as usize) {
                sibling.next = at;
            }
            if let Some(parent) = self.slots.get_mut(parent as usize) {
                if parent.first == NONE {
                    parent.first = at;
                }
                parent.last = at;
            }
        }
        at
    }

    /// Text inside the element at `at`. The indentation between elements is not kept (values
    /// are trimmed anyway).
    pub(super) fn append(&mut self, at: u32, text: Cow<'a, str>) {
        let Some(slot) = self.slots.get_mut(at as usize) else {
            return;
        };
        if slot.text.is_empty() {
            if !text.trim().is_empty() {
                slot.text = text;
            }
        } else {
            slot.text.to_mut().push_str(&text);
        }
    }

    /// Whether the element at `at` has text of its own yet.
    pub(super) fn has_text(&self, at: u32) -> bool {
        self.slots
            .get(at as usize)
            .is_some_and(|s| !s.text.is_empty())
    }

    /// The root element, when there is one.
    pub(super) fn root(&self) -> Option<Node<'_, 'a>> {
        (!self.slots.is_empty()).then_some(Node { tree: self, at: 0 })
    }
}

/// An element of a [`Tree`].
#[derive(Clone, Copy)]
pub(super) struct Node<'t, 'a> {
    tree: &'t Tree<'a>,
    at: u32,
}

impl<'t, 'a> Node<'t, 'a> {
    fn slot(self) -> &'t Slot<'a> {
        self.tree.slots.get(self.at as usize).unwrap_or(&EMPTY)
    }

    pub(super) fn name(self) -> &'t str {
        &self.slot().name
    }

    /// The element's own text, as written (untrimmed).
    pub(super) fn text(self) -> &'t str {
        &self.slot().text
    }

    pub(super) fn ccy(self) -> Option<&'t str> {
        self.slot().ccy.as_deref()
    }

    fn children(self) -> impl Iterator<Item = Node<'t, 'a>> {
        let tree = self.tree;
        std::iter::successors(Some(self.slot().first).filter(|&f| f != NONE), move |&at| {
            Some(tree.slots.get(at as usize).map_or(NONE, |s| s.next)).filter(|&n| n != NONE)
        })
        .map(move |at| Node { tree, at })
    }

    pub(super) fn child(self, name: &str) -> Option<Node<'t, 'a>> {
        self.children().find(|c| c.name() == name)
    }

    pub(super) fn all<'n>(self, name: &'n str) -> impl Iterator<Item = Node<'t, 'a>> + 'n
    where
        't: 'n,
        'a: 'n,
    {
        self.children().filter(move |c| c.name() == name)
    }

    pub(super) fn at(self, path: &[&str]) -> Option<Node<'t, 'a>> {
        path.iter().try_fold(self, |node, name| node.child(name))
    }

    /// The trimmed text at `path`, when there is some.
    pub(super) fn text_at(self, path: &[&str]) -> Option<&'t str> {
        self.at(path)
            .map(|n| n.text().trim())
            .filter(|t| !t.is_empty())
    }
}
