package dev.leaderelection.spring;

/**
 * Where a Kubernetes {@link LeaseLockFactory}'s locks look for a namespace that is not configured,
 * as the start-up failure for a Lease without one words it.
 */
interface NamespaceFallback {

  /**
   * fabric8's: the pod's namespace, then the kubeconfig context's; also said for a factory of the
   * application's that does not implement this interface.
   */
  NamespaceFallback FABRIC8 =
      new NamespaceFallback() {
        @Override
        public String withoutNamespace() {
          return "this process does not run in a pod, and the Kubernetes client's configuration"
              + " (the current kubeconfig context) names no namespace";
        }

        @Override
        public String otherNamespaceSource() {
          return ", or a namespace in the current kubeconfig context";
        }
      };

  /**
   * {@return why no namespace was found besides the property, after "is not set, ": for fabric8 the
   * pod and the kubeconfig context}
   */
  String withoutNamespace();

  /**
   * {@return another place to set the namespace, after "set leaderelection.namespace", starting
   * with ", or", or empty}
   */
  String otherNamespaceSource();
}
