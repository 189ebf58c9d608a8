"""Modal dialogs: confirmations, one-time secrets, the action menu, help, credentials, the create form."""
