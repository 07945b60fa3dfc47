"""一企一档: creating and editing the enterprise file (registry), the credit-code rules (creditcode),
the four lists (lists), and the read side of the registry and the firm page (queries, firm_file).
"""
