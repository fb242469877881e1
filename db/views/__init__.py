"""Read views: a journey, a feedback request or an intro request with everything around it.

Repositories (db/repositories) read and write one table family; a view joins what a page, an email
or an activity needs about one thing, so the API and the worker read it the same way.
"""
