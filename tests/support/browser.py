"""Browser-test helpers shared by the e2e files: answering the page's confirmation dialog."""


def confirm_dialog(page, says: str | None = None, ok: bool = True) -> None:
    """Answer the dialog an irreversible step opens (crm/static/js/confirm.js): 确定… or 取消.

    says: text the question must contain. The step's form is posted only after 确定.
    """
    from playwright.sync_api import expect

    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    if says:
        expect(dialog.locator("[data-confirm-message]")).to_contain_text(says)
    if ok:
        dialog.locator("[data-confirm-ok]").click()
    else:
        dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
