"""Small pieces every domain uses: the audit trail, optimistic locking, field validators, pinyin
initials and attachment storage. Nothing here knows about a particular domain's rules.
"""
