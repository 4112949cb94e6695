"""Staff accounts: who signs in to the store and back-office pages, their passwords and
sessions, and the throttling of failed sign-ins."""
