"""Working days (工作日): the official calendar with 调休 make-up days and the Mon–Fri fallback
(calendar), the admin's holiday table for years the package does not know yet (admin), reading the
State Council notice (notice), and the admin pages' read side (overview).
"""
