"""Reference data kept by admins: parks (code, name), industry chains (name, order) and departments
(name, park or city level, their 部门负责人). Creating and editing them (admin), and what uses each one
(usage): a row that firms, users, problems or reports reference is retired, never deleted, so old
records keep it while pickers stop offering it. Loading seeds/reference.json (seed) adds only what was
never loaded before.
"""
