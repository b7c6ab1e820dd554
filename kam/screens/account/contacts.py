"""The Contacts tab: the people on their side as an org chart, each with their card; their
needs; the checks of the relationship."""

from __future__ import annotations

import uuid

from rich.console import Group
from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Static, Tree

from kam.dialogs import workspace as forms
from kam.screens import account_views as views
from kam.screens.account.tab import AccountTab, filter_box
from kam.services.people import contacts
from kam.services.people.contacts import ContactRow
from kam.services.unit import Intent


class ContactsTab(AccountTab):
    PANE, TITLE, KEY = "contacts", "Contacts", "c"
    KEYS = [
        Binding("n", "new_contact", "New contact"),
        Binding("e", "edit_contact", "Edit contact"),
        Binding("d", "remove_contact", "Remove"),
        Binding("a", "add_need", "Add need"),
        Binding("x", "remove_need", "Remove need"),
    ]
    FOCUS = "#org"
    FILTERS = True

    def __init__(self) -> None:
        super().__init__()
        self._pending_contact: uuid.UUID | None = None  # where the org tree's cursor will go

    def widgets(self) -> list[Widget]:
        return [
            Static("", id="contact-warnings"),
            filter_box("contacts", "Filter contacts…"),
            Horizontal(
                Tree("Contacts", id="org"),
                Static("", id="contact-card", classes="panel"),
                id="contacts-body",
            ),
        ]

    def prepare(self) -> None:
        self.query_one("#org", Tree).show_root = False

    def fill(self) -> None:
        ws = self.workspace
        found = ws.relationship_warnings
        box = self.query_one("#contact-warnings", Static)
        if found:
            box.update(Group(*(Text(f"⚠ {w}", "yellow") for w in found)))
        elif ws.key_account:
            box.update(Text("✓ Decision maker, champion and a strong tie in place", "green"))
        else:
            box.update(Text("Relationship checks apply to key accounts", "dim"))
        tree = self.query_one("#org", Tree)
        current = self.selected()
        wanted = self.account.wanted_contact or (current.id if current else None)
        self.account.wanted_contact = None
        tree.clear()
        text = self.filter_text
        people = ws.contacts
        if text:
            people = _matching_with_managers(people, text)
        target = None
        for root in contacts.org_tree(people):
            target = _add_branch(tree.root, root, wanted) or target
        if not people:
            tree.root.add_leaf(Text("no contacts yet (n adds one)", style="dim"))
        tree.root.expand_all()
        self._pending_contact = target.data.id if target is not None and target.data else None
        self.call_after_refresh(self._tree_rebuilt, target)

    def _tree_rebuilt(self, target) -> None:
        """Put the cursor back on the rebuilt tree and show the card of the contact under it
        (moving to the same line sends no highlight event)."""
        self._pending_contact = None
        tree = self.query_one("#org", Tree)
        tree.last_line  # noqa: B018 -- lays out the rebuilt tree's lines, which a move needs
        if target is not None:
            tree.move_cursor(target)
        elif tree.root.children:
            tree.move_cursor(tree.root.children[0])
        self._show_card()

    def selected(self) -> ContactRow | None:
        ws = self.account.workspace
        if self._pending_contact is not None and ws is not None:
            # The tree was rebuilt and its cursor goes there on the next repaint.
            pending = self._pending_contact
            return next((c for c in ws.contacts if c.id == pending), None)
        node = self.query_one("#org", Tree).cursor_node
        data = node.data if node is not None else None
        return data if isinstance(data, ContactRow) else None

    @on(Tree.NodeHighlighted, "#org")
    def _show_card(self) -> None:
        contact = self.selected()
        ws = self.account.workspace
        boss = None
        if contact is not None and ws is not None and contact.reports_to_id:
            boss = next((c.name for c in ws.contacts if c.id == contact.reports_to_id), None)
        last = ws.contact_last_contact.get(contact.id) if contact and ws else None
        self.panel("#contact-card", views.contact_card(contact, boss, last), "Contact")

    # --- keys ---------------------------------------------------------------------------------

    def _contact_or_hint(self) -> ContactRow | None:
        contact = self.selected()
        if contact is None:
            self.notify("No contact selected: n adds one", timeout=3)
        return contact

    def _saved(self, contact: object) -> None:
        if contact is not None:
            self.account.wanted_contact = contact.id  # type: ignore[attr-defined]
        self.account.after_save(contact)

    def action_new_contact(self) -> None:
        selected = self.selected()
        forms.new_contact(
            self.account,
            self.account.account_id,
            self._saved,
            reports_to=selected.id if selected and selected.current else None,
        )

    def action_edit_contact(self) -> None:
        contact = self._contact_or_hint()
        if contact is not None:
            forms.edit_contact(self.account, self.account.account_id, contact.id, self._saved)

    def action_remove_contact(self) -> None:
        contact = self._contact_or_hint()
        if contact is None:
            return
        self.account.confirm(
            f"Remove {contact.name} for good? Someone who moved on should rather get a "
            "'left the company' date (e), which keeps them on the map.",
            Intent(contacts.remove_contact, contact.id, self.account.kam.user),
            "Contact removed",
            yes="Remove",
        )

    def action_remove_need(self) -> None:
        contact = self._contact_or_hint()
        if contact is not None:
            self.account.wanted_contact = contact.id
            forms.remove_need(self.account, contact, self.account.after_save)

    def action_add_need(self) -> None:
        contact = self._contact_or_hint()
        if contact is not None:
            self.account.wanted_contact = contact.id
            forms.add_need(self.account, contact, self.account.after_save)


def _add_branch(parent, node: contacts.OrgNode, wanted: uuid.UUID | None):
    """Add a contact and the people under them; returns the tree node of `wanted`."""
    label = views.contact_label(node.contact)
    if node.reports:
        branch = parent.add(label, data=node.contact, expand=True)
    else:
        branch = parent.add_leaf(label, data=node.contact)
    found = branch if node.contact.id == wanted else None
    for child in node.reports:
        found = _add_branch(branch, child, wanted) or found
    return found


def _matching_with_managers(people: list[ContactRow], text: str) -> list[ContactRow]:
    """Contacts matching `text`, with the managers above them so the tree keeps its shape."""
    by_id = {c.id: c for c in people}
    keep: set[uuid.UUID] = set()
    for c in people:
        fields = (c.name, c.title or "", c.department or "", views.words(c.buying_role))
        if any(text in f.lower() for f in fields):
            current: ContactRow | None = c
            while current is not None and current.id not in keep:
                keep.add(current.id)
                current = by_id.get(current.reports_to_id) if current.reports_to_id else None
    return [c for c in people if c.id in keep]
