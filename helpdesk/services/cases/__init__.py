"""A case as the customer lives it: opening, replies, files, eligibility, "did this solve it?"."""
