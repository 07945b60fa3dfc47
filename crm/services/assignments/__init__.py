"""一企一人: assigning, reassigning and handing over a cadre's firms (operations), and the read side
of caseloads and handover lists (caseload).
"""
