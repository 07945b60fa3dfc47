"""The demo park: reference-based firms, cadres and handlers (park), three months of visits and lists
(activity, lists), problems in every state walked through the real workflow (problems), and
back-dating of what the demo creates (history). Kept out of the domain code: it only calls services.
"""
