"""Accuracy estimators: learned predictors of trained top-1 (`imagenet`, `cifar10`) and the zero-cost
proxies, their rank ensemble and short training, behind one interface, one registry and one
conformance suite."""
