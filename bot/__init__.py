"""framework-advisor core: platform-neutral knowledge, walking, ranking and storage."""
