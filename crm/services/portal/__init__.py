"""企业之声: the firm's own channel. `codes` issues, revokes and resolves the 企业服务码 (an unguessable,
revocable link and its QR code, `qr`); `throttle` keeps the public page's rate limits in the database;
`submissions` turns what a firm submits into a problem (企业自报); `firm_steps` are the workflow steps a
firm takes on its page (its 回访评价, its answer to a 撤单申请); `public` is what the page shows of a
problem (decided field by field); `withdrawals` and `callbacks` are the office's 撤单质检 and monthly
回访抽查; `settings` holds their per-park numbers; `figures` the 企业之声 figures of dashboards and the
monthly workbook.
"""
