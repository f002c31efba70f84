"""Did this solve it?: the pages behind the Yes/No links in e-mail, and the question on help
articles (issue 15 item 17). No login: the signed link is the permission."""
