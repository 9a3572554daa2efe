"""The ground floor: settings, data contracts and warehouse access. Imports nothing of the project."""
