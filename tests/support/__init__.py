"""Helpers the tests share, one module per aggregate; fixtures stay in the conftest.py files.

dates            TODAY, the pinned date of the whole suite (CRM_TODAY derives from it)
factories        the registry: parks, industry chains, departments, users, firms, credit codes
visits           visits (with their derived last-visit dates) and visit attachments
problems         problems in any state through the real workflow, a small problem world, `pworld`
reminders        a world of firms and problems whose reminders on TODAY are known exactly
reports          a crafted October 2026 for the monthly report, with its expected figures
uploads          small files whose bytes are what their names say, as form posts deliver them
channel_servers  local SMTP and group-robot servers for notification delivery
"""
